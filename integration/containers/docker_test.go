//go:build system

package containers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Ports the scenarios publish from their containers.
const (
	gossipPort = 15600 // the profile opens it
	apiPort    = 14265 // the profile does not: the node's own API
	strayPort  = 9137  // opened by the second profile, published by nobody
)

// firewallProfile opens SSH (22) and the gossip port; the public API port
// is off, so 14265 is open to nobody. firewallProfileWider opens one more
// port, so applying it replaces harden's table.
const (
	firewallProfile      = "firewall {\n  public_api_port = null\n}\n"
	firewallProfileWider = "firewall {\n  public_api_port = null\n  allow_tcp_ports = [9137]\n}\n"
)

// Issue 18: a container publishing the gossip port (opened by the
// profile) and the API port (not opened) on every address. From outside
// the VPS only the gossip port answers, and the container reaches the
// outside; this holds for a container started after harden, after an
// apply that replaces harden's table, after a reboot and after `systemctl
// reload nftables`.
func TestPublishedPortsObeyTheProfile(t *testing.T) {
	forEachSuite(t, func(t *testing.T, rel vps.Release) {
		start := time.Now()
		d := bootDocker(t, rel, map[string]string{})
		d.runNode("node")
		// Before harden nothing filters: the API answers from outside, so
		// the checks below can fail.
		if err := d.waitGreeting(apiPort, 20*time.Second); err != nil {
			t.Fatalf("before harden, the published API port: %v", err)
		}
		d.checkEgress("before harden", "node")

		out := d.apply(firewallProfile)
		if !strings.Contains(out, "container networking found: Docker") {
			t.Errorf("the plan does not say that it found Docker:\n%s", out)
		}
		d.check("after apply", "node")
		d.emptyPlan("-profile " + profilePath)
		t.Logf("chains on the VPS:\n%s", d.MustShell("nft list chains").Stdout)
		t.Logf("harden's table:\n%s", d.MustShell("nft list table inet harden").Stdout)

		// Docker adds the new container's DNAT rules after harden ran.
		d.MustShell("docker rm -f node")
		d.runNode("later")
		d.check("with a container started after harden", "later")

		d.apply(firewallProfileWider)
		d.check("after an apply that replaced harden's table", "later")

		d.Reboot()
		d.check("after a reboot", "later")

		// nftables.service, enabled by harden, ran at boot: it can be
		// reloaded now, loading /etc/nftables.conf again.
		d.MustShell("systemctl reload nftables")
		d.check("after systemctl reload nftables", "later")
		t.Logf("%s: scenario took %s", rel, time.Since(start).Round(time.Millisecond))
	})
}

// forEachSuite runs scenario once per Debian suite of the run (as parallel
// subtests named after the first release of each suite): how sshd starts
// makes no difference to Docker.
func forEachSuite(t *testing.T, scenario func(t *testing.T, rel vps.Release)) {
	seen := map[string]bool{}
	for _, rel := range vps.Releases() {
		if seen[rel.Suite] {
			continue
		}
		seen[rel.Suite] = true
		t.Run(rel.Name, func(t *testing.T) {
			t.Parallel()
			scenario(t, rel)
		})
	}
}

// check judges from the host: the gossip port answers through the
// container, the API port does not although its listener answers inside
// the VPS, and the container reaches the outside.
func (d *dockerVPS) check(when, container string) {
	d.t.Helper()
	if err := d.waitGreeting(gossipPort, 30*time.Second); err != nil {
		d.t.Errorf("%s: the published gossip port: %v", when, err)
	}
	inside := d.Shell(fmt.Sprintf("busybox nc -w 3 127.0.0.1 %d", apiPort))
	if want := fmt.Sprintf("tcplisten %d", apiPort); !strings.HasPrefix(inside.Stdout, want) {
		d.t.Errorf("%s: the API's listener does not answer inside the VPS, so its closed port proves nothing:\n%s", when, inside)
	}
	if line, err := d.Banner(apiPort); err == nil {
		d.t.Errorf("%s: the published API port %d is reachable from outside: %q", when, apiPort, line)
	}
	d.checkEgress(when, container)
}
