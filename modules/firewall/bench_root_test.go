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
			m := moduleInNetns(b, "r", tc)
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
			m := moduleInNetns(b, "l", tc)
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

// moduleInNetns is the growth case's module, decoded, talking to a fresh
// network namespace of its own.
func moduleInNetns(b *testing.B, name string, tc growthCase) *Module {
	b.Helper()
	ns := newNetns(b, name)
	m := New()
	m.InNetns(ns.fd)
	if diags := decodeForBench(b, m, tc.profile(tc.writeFile(b, b.TempDir()))); diags != "" {
		b.Fatal(diags)
	}
	return m
}
