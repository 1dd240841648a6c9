//go:build root

package firewall

import (
	"testing"

	"harden/modules/module/moduletest"
)

// holdFrom opens a connection from src and keeps it open until cleanup,
// failing the test unless the outcome is want.
func holdFrom(t *testing.T, ns *netns, src, addr string, port int, want bool) {
	t.Helper()
	if c := reach(t, ns, src, addr, port, want); c != nil {
		t.Cleanup(func() { c.Close() })
	}
}

// Per-client limits count an IPv6 client by its /64 (one subscriber's
// network: its hosts and privacy addresses are one client); IPv4 still
// counts single addresses.
func TestRootIPv6ClientsShareOneBudgetPer64(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, addr6 := vethPair(t, a, b)
	addAddrs(t, b, hostOf(addr, 3)+"/24", hostOf(addr6, 3)+"/64", hostOf(addr6, 4)+"/64")
	applyProfile(t, New(), a, "firewall {\n  ssh_rate_limit = \"3/minute\"\n  ssh_max_connections = 2\n}", "")
	listen(t, a, 22)

	t.Run("connections", func(t *testing.T) {
		holdFrom(t, b, hostOf(addr6, 2), addr6, 22, true)
		holdFrom(t, b, hostOf(addr6, 3), addr6, 22, true)
		holdFrom(t, b, hostOf(addr6, 4), addr6, 22, false) // a third one from the same /64
		holdFrom(t, b, hostOf(addr, 2), addr, 22, true)
		holdFrom(t, b, hostOf(addr, 2), addr, 22, true)
		holdFrom(t, b, hostOf(addr, 3), addr, 22, true) // another IPv4 address: its own budget
	})
	t.Run("new connections a minute", func(t *testing.T) {
		// The /64 used 3 new connections above (one was dropped by the
		// connection cap after the rate meter counted it): its burst is spent.
		wantReach(t, b, hostOf(addr6, 4), addr6, 22, false)
	})
}

// A meter that is full holds no new client; such clients are not let
// through unlimited but share one budget of the same size: one token
// bucket for the rate, one count for the connections. Meters of two
// elements make it full with three clients.
func TestRootFullMeterLimits(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, _ := vethPair(t, a, b)
	for n := 3; n <= 8; n++ {
		addAddrs(t, b, hostOf(addr, n)+"/24")
	}
	listen(t, a, 22)
	load := func(t *testing.T, src string) {
		m := New()
		m.InNetns(a.fd)
		moduletest.MustDecode(t, m, src)
		table := m.Desired()
		for i := range table.Sets {
			table.Sets[i].Size = 2
		}
		if err := m.load(table); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("connections", func(t *testing.T) {
		load(t, "firewall {\n  ssh_rate_limit = null\n  ssh_max_connections = 2\n}")
		holdFrom(t, b, hostOf(addr, 2), addr, 22, true)
		holdFrom(t, b, hostOf(addr, 3), addr, 22, true) // the meter is full
		holdFrom(t, b, hostOf(addr, 4), addr, 22, true)
		holdFrom(t, b, hostOf(addr, 5), addr, 22, true)
		holdFrom(t, b, hostOf(addr, 6), addr, 22, false) // a third connection of those left out
	})
	t.Run("new connections a minute", func(t *testing.T) {
		load(t, "firewall {\n  ssh_rate_limit = \"3/minute\"\n  ssh_max_connections = null\n}")
		for n := 2; n <= 3; n++ { // the meter is full
			wantReach(t, b, hostOf(addr, n), addr, 22, true)
		}
		for n := 4; n <= 6; n++ {
			wantReach(t, b, hostOf(addr, n), addr, 22, true)
		}
		wantReach(t, b, hostOf(addr, 7), addr, 22, false) // the fourth of those left out
	})
}
