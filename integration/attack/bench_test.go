//go:build root || attack

package attack

import (
	"context"
	"net/http"
	"testing"

	"harden/integration/iristub"
)

// benchCall measures one legitimate getNodeInfo per iteration against addr.
func benchCall(b *testing.B, addr string) {
	c := Client(LegitIP, 0, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st, err := Call(c, addr, NodeInfo, nil); st != http.StatusOK {
			b.Fatalf("status %d: %v", st, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkLegitDirect(b *testing.B) {
	stub := iristub.New(iristub.Options{})
	if err := stub.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer stub.Close()
	benchCall(b, stub.Addr())
}

// BenchmarkLegitProxied is the same call through harden's HAProxy (per-address
// limits off, so the benchmark measures the policies, not the rate limit).
func BenchmarkLegitProxied(b *testing.B) {
	stub := iristub.New(iristub.Options{})
	if err := stub.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer stub.Close()
	s, err := SettingsFromProfile("haproxy {\n  max_requests_per_ip = 0\n  max_conn_per_ip = 0\n}")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := StartProxy(ctx, b.TempDir(), s, stub.Addr())
	if err != nil {
		b.Skip(err)
	}
	defer p.Close()
	benchCall(b, p.Addr)
}
