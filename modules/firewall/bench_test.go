package firewall

import (
	"fmt"
	"strings"
	"testing"
)

// growthCases are the firewall sizes of issue 9: N rules (one per SSH
// port with the meters off: the shape a port list had before port sets),
// N ports in allow_tcp_ports (one rule and its set), N denied addresses.
var growthCases = func() []struct{ name, src string } {
	var out []struct{ name, src string }
	numbers := func(n, from int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprint(from + i)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	for _, n := range []int{10, 100, 1000} {
		out = append(out, struct{ name, src string }{fmt.Sprintf("rules=%d", n),
			"firewall {\n ssh_rate_limit = null\n ssh_max_connections = null\n ssh_ports = " + numbers(n, 2000) + "\n}"})
	}
	for _, n := range []int{10, 100, 1000} {
		out = append(out, struct{ name, src string }{fmt.Sprintf("ports=%d", n),
			"firewall {\n allow_tcp_ports = " + numbers(n, 20000) + "\n}"})
	}
	for _, n := range []int{10, 100, 1000, 10000} {
		out = append(out, struct{ name, src string }{fmt.Sprintf("addresses=%d", n), sourcesProfile(genSources(n))})
	}
	return out
}()

// BenchmarkPlan is the drift check on a converged host: build the desired
// table, compare it with the live one, render and compare the file.
func BenchmarkPlan(b *testing.B) {
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			m := New()
			if diags := decodeForBench(b, m, tc.src); diags != "" {
				b.Fatal(diags)
			}
			st := converged(m)
			b.ReportAllocs()
			for b.Loop() {
				if p, err := m.Plan(st); err != nil || !p.Empty() {
					b.Fatalf("plan %v, err %v", addresses(p), err)
				}
			}
		})
	}
}

// BenchmarkDecode parses and decodes the profile block.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if diags := decodeForBench(b, New(), tc.src); diags != "" {
					b.Fatal(diags)
				}
			}
		})
	}
}
