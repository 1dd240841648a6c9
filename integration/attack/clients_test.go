//go:build root || attack

package attack

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestFullClientTableLimits: once a per-client table is full, a new client
// is refused rather than let through without limits. Entries stay until
// they expire, so a flood of addresses cannot evict a limited client
// either. The connection table turns a new client away at connect; with
// per-address limits off, the heavy-call table refuses its heavy calls.
func TestFullClientTableLimits(t *testing.T) {
	const size = 4
	cases := []struct {
		name, profile, body string
		// taken: entries in use before the test (the harness's readiness
		// probe connects from 127.0.0.1).
		taken int
		// refused is the status a new client gets (0: connection reset).
		refused int
	}{
		{"connection table", Profile, NodeInfo, 1, 0},
		{"heavy-call table", "haproxy {\n  max_conn_per_ip = 0\n  max_requests_per_ip = 0\n}", fastTips, 0, http.StatusTooManyRequests},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stub := startStub(t)
			s, err := SettingsFromProfile(tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			s.ClientTableSize = size
			p := startProxyIn(t, nil, stub.Addr(), s)
			call := func(last byte, body string) (int, error) {
				return Call(Client(net.IPv4(127, 0, 0, last), 5*time.Second, false), p.Addr, body, nil)
			}
			for i := 0; i < size-tc.taken; i++ {
				if st, err := call(byte(40+i), tc.body); st != http.StatusOK {
					t.Fatalf("client %d of %d: status %d (%v), want 200", i+1, size-tc.taken, st, err)
				}
			}
			if st, err := call(50, tc.body); st != tc.refused {
				t.Errorf("a new client with the table full: status %d (%v), want %d", st, err, tc.refused)
			}
			if st, err := call(40, tc.body); st != http.StatusOK {
				t.Errorf("a client already in the table: status %d (%v), want 200", st, err)
			}
		})
	}
}

// fastTips is tip selection without a reference: quick on the node, still
// a heavy call for the proxy.
const fastTips = `{"command":"getTransactionsToApprove","depth":3}`

// TestIPv6ClientsCountPerPrefix: the per-client limits count an IPv6
// client per /64 (one host's usual share, which it can fill with
// addresses), in a namespace where the proxy listens on "::". IPv4 clients
// reaching that dual-stack listener still count one address each.
func TestIPv6ClientsCountPerPrefix(t *testing.T) {
	ns, a1, a2, b := ipv6Clients(t)
	stub := startStubIn(t, ns)
	s, err := SettingsFromProfile("haproxy {\n  max_conn_per_ip = 3\n  heavy_maxconn = 2\n  http_request_timeout = \"10s\"\n}")
	if err != nil {
		t.Fatal(err)
	}
	p := startProxyIn(t, ns, stub.Addr(), s)
	call := func(src net.IP, addr, body string) int {
		st, _ := Call(ClientIn(ns, src, 10*time.Second, false), addr, body, nil)
		return st
	}

	// Connections: a1 holds max_conn_per_ip; a2, in the same /64, is over.
	hold := func(src net.IP, addr string) {
		for i := 0; i < 3; i++ {
			c, err := ns.Dial(context.Background(), src, addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
		}
		time.Sleep(100 * time.Millisecond)
	}
	hold(a1, p.Addr6)
	if st := call(a2, p.Addr6, NodeInfo); st == http.StatusOK {
		t.Errorf("%s got a connection beyond %s's limit in the same /64", a2, a1)
	}
	if st := call(b, p.Addr6, NodeInfo); st != http.StatusOK {
		t.Errorf("%s in another /64: status %d, want 200", b, st)
	}
	hold(net.IPv4(127, 0, 0, 5), p.Addr)
	if st := call(net.IPv4(127, 0, 0, 6), p.Addr, NodeInfo); st != http.StatusOK {
		t.Errorf("IPv4 127.0.0.6 beside a full 127.0.0.5 on the dual-stack listener: status %d, want 200", st)
	}
}

// TestIPv6HeavyCallsCountPerPrefix: one heavy call in flight per /64.
func TestIPv6HeavyCallsCountPerPrefix(t *testing.T) {
	ns, a1, a2, b := ipv6Clients(t)
	stub := startStubIn(t, ns)
	s, err := SettingsFromProfile("haproxy {\n  heavy_maxconn = 2\n}")
	if err != nil {
		t.Fatal(err)
	}
	p := startProxyIn(t, ns, stub.Addr(), s)
	call := func(src net.IP) int {
		st, _ := Call(ClientIn(ns, src, 10*time.Second, false), p.Addr6, SlowTips, nil)
		return st
	}
	first := make(chan int, 1)
	go func() { first <- call(a1) }()
	time.Sleep(200 * time.Millisecond)
	if st := call(a2); st != http.StatusTooManyRequests {
		t.Errorf("%s beside %s's walk in the same /64: status %d, want 429", a2, a1, st)
	}
	if st := call(b); st != http.StatusOK {
		t.Errorf("%s in another /64: status %d, want 200", b, st)
	}
	if st := <-first; st != http.StatusOK {
		t.Errorf("%s: status %d, want 200", a1, st)
	}
}

// ipv6Clients is a namespace with three client addresses: a1 and a2 share
// a /64, b is in another.
func ipv6Clients(t *testing.T) (ns *Netns, a1, a2, b net.IP) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: a network namespace")
	}
	ns, err := NewNetns()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	a1, a2, b = net.ParseIP("2001:db8:1::1"), net.ParseIP("2001:db8:1::2"), net.ParseIP("2001:db8:2::1")
	for _, a := range []net.IP{a1, a2, b} {
		if err := ns.AddAddress(a.String() + "/128"); err != nil {
			t.Fatal(err)
		}
	}
	return ns, a1, a2, b
}
