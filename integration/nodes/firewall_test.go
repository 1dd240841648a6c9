//go:build system

package nodes

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Issue 5: after iri-node is applied and confirmed, the host reaches SSH on
// its new port and the gossip port, and does not reach the node's API or a
// stray port although both have listeners; after a reboot the table is
// loaded again and the host sees the same.
func TestFirewallFromHostAcrossReboot(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		// Before harden nothing filters: the stray listener is reachable, so
		// the checks below can fail.
		n.listen("before", fmt.Sprint(strayPort))
		if err := n.waitGreeting(strayPort, "tcplisten", 5*time.Second); err != nil {
			t.Fatalf("before harden: %v", err)
		}
		n.mustSh("systemctl stop before.service")

		n.applyAndConfirm("-profile iri-node")
		n.checkReachability("after confirm")

		n.Reboot()
		if err := n.waitGreeting(sshPort, "SSH-", 30*time.Second); err != nil {
			t.Fatalf("after the reboot sshd: %v", err)
		}
		table := n.mustSh("nft list table inet harden").Stdout
		for _, want := range []string{fmt.Sprint(sshPort), fmt.Sprint(gossipPort), "drop"} {
			if !strings.Contains(table, want) {
				t.Errorf("after the reboot table inet harden lacks %q:\n%s", want, table)
			}
		}
		n.checkReachability("after the reboot")
		n.emptyPlan("-profile iri-node")
	})
}

// checkReachability starts listeners on the gossip, API and stray ports
// inside the VPS, then judges from the host which ones it can reach.
func (n *node) checkReachability(when string) {
	n.t.Helper()
	unit := "listeners-" + strings.ReplaceAll(when, " ", "-")
	n.listen(unit, fmt.Sprint(gossipPort), fmt.Sprint(apiPort), fmt.Sprint(strayPort))
	defer n.mustSh("systemctl stop " + unit + ".service")
	if err := n.waitGreeting(sshPort, "SSH-", 10*time.Second); err != nil {
		n.t.Errorf("%s: ssh on %d: %v", when, sshPort, err)
	}
	if err := n.waitGreeting(gossipPort, "tcplisten", 10*time.Second); err != nil {
		n.t.Errorf("%s: gossip on %d: %v", when, gossipPort, err)
	}
	for _, port := range []int{apiPort, strayPort, 22} {
		if line, err := n.Banner(port); err == nil {
			n.t.Errorf("%s: port %d is reachable from the host: %q", when, port, line)
		}
	}
}
