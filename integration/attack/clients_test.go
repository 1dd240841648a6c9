//go:build root || attack

package attack

import (
	"net"
	"net/http"
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
			p := startProxySettings(t, stub, s)
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
