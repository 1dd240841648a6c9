//go:build root

package firewall

import (
	"context"
	"testing"
)

// BenchmarkRootRead is Read on a converged namespace at each growth size:
// the netlink dump of the table and its sets, decompiled into the model
// (plus the persisted files and the enablement, which are small, and
// deny_sources_file when the case has one).
func BenchmarkRootRead(b *testing.B) {
	requireRoot(b)
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			ns := newNetns(b, "r")
			m := New()
			m.SetConn(ns.conn)
			if diags := decodeForBench(b, m, tc.profile(tc.writeFile(b, b.TempDir()))); diags != "" {
				b.Fatal(diags)
			}
			if err := m.load(tc.desired(b, m)); err != nil {
				b.Fatal(err)
			}
			h, _, _ := liveHost(b, m, "")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				st, err := m.Read(ctx, h)
				if err != nil {
					b.Fatal(err)
				}
				if live := st.(*State).Live; live == nil || live.HasUnknown() {
					b.Fatal("table not read back whole")
				}
			}
		})
	}
}

// BenchmarkRootLoad is the netlink batch that replaces the table.
func BenchmarkRootLoad(b *testing.B) {
	requireRoot(b)
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			ns := newNetns(b, "l")
			m := New()
			m.SetConn(ns.conn)
			if diags := decodeForBench(b, m, tc.profile(tc.writeFile(b, b.TempDir()))); diags != "" {
				b.Fatal(diags)
			}
			t := tc.desired(b, m)
			b.ReportAllocs()
			for b.Loop() {
				if err := m.load(t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
