//go:build root

package firewall

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/modules/module/moduletest"
)

// dockerHost is a namespace set up as a Docker host: a docker0 bridge
// (172.17.0.1/16), forwarding on, and Docker's own rules as iptables-nft
// writes them (testdata/docker-iptables-nft.nft): DNAT of the published
// ports 15600 and 14265 to the container at 172.17.0.2, masquerade for
// its egress, a FORWARD chain with policy drop. The outside namespace
// reaches the host at addr.
type dockerHost struct {
	host, outside *netns
	addr, outAddr string
}

func newDockerHost(t *testing.T) *dockerHost {
	t.Helper()
	d := &dockerHost{host: newNetns(t, "dh"), outside: newNetns(t, "do")}
	d.addr, _ = vethPair(t, d.host, d.outside)
	d.outAddr = hostOf(d.addr, 2)
	run(t, "ip", "-n", d.host.name, "link", "add", "docker0", "type", "bridge")
	run(t, "ip", "-n", d.host.name, "addr", "add", "172.17.0.1/16", "dev", "docker0")
	run(t, "ip", "-n", d.host.name, "link", "set", "docker0", "up")
	run(t, "ip", "netns", "exec", d.host.name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	run(t, "ip", "netns", "exec", d.host.name, "nft", "-f", "testdata/docker-iptables-nft.nft")
	return d
}

// container starts a container namespace on docker0 at 172.17.0.N with
// listeners on ports.
func (d *dockerHost) container(t *testing.T, n int, ports ...int) *netns {
	t.Helper()
	c := newNetns(t, fmt.Sprintf("c%d-", n))
	veth := fmt.Sprintf("veth%d", n)
	run(t, "ip", "link", "add", veth, "netns", d.host.name, "type", "veth", "peer", "name", "eth0", "netns", c.name)
	run(t, "ip", "-n", d.host.name, "link", "set", veth, "master", "docker0", "up")
	run(t, "ip", "-n", c.name, "addr", "add", fmt.Sprintf("172.17.0.%d/16", n), "dev", "eth0")
	run(t, "ip", "-n", c.name, "link", "set", "eth0", "up")
	run(t, "ip", "-n", c.name, "route", "add", "default", "via", "172.17.0.1")
	listen(t, c, ports...)
	return c
}

func copyTestdata(t *testing.T, name, to string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// publish adds Docker's rules for a port published by the container at
// 172.17.0.N, as `docker run -p port:port` does.
func (d *dockerHost) publish(t *testing.T, n, port int) {
	t.Helper()
	ip := fmt.Sprintf("172.17.0.%d", n)
	run(t, "ip", "netns", "exec", d.host.name, "nft", fmt.Sprintf(
		`add rule ip nat DOCKER iifname != "docker0" meta l4proto tcp tcp dport %d counter dnat to %s:%d`, port, ip, port))
	run(t, "ip", "netns", "exec", d.host.name, "nft", fmt.Sprintf(
		`add rule ip filter DOCKER ip daddr %s iifname != "docker0" oifname "docker0" meta l4proto tcp tcp dport %d counter accept`, ip, port))
}

// The node in a container behind harden's firewall: what the profile
// allows reaches it through Docker's published ports, what it does not
// allow does not (the node API, 14265), the container reaches the
// outside, and a container started later is filtered the same way
// without harden running again.
func TestRootContainersBehindTheFirewall(t *testing.T) {
	requireRoot(t)
	d := newDockerHost(t)
	node := d.container(t, 2, 15600, NodeAPIPort)
	listen(t, d.outside, 8080)

	// Without harden's table Docker publishes the node API to the world.
	wantReach(t, d.outside, d.outAddr, d.addr, NodeAPIPort, true)

	m := New()
	m.InNetns(d.host.fd)
	moduletest.MustDecode(t, m, "firewall {}")
	if diags := m.Link(noPeers{}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h, _, _ := liveHost(t, m, "")
	copyTestdata(t, "debian12-nftables.conf", m.confPath) // Debian's own: it begins with flush ruleset
	p, _ := planOf(t, m, h)
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, "Docker (") || !strings.Contains(notes, "docker0") {
		t.Errorf("the plan does not say it found Docker: %q", p.Notes)
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if again, _ := planOf(t, m, h); !again.Empty() {
		t.Fatalf("plan after apply not empty: %v", addresses(again))
	}
	t.Logf("plan notes: %q\n%s", p.Notes, p.Changes[0].After)

	wantReach(t, d.outside, d.outAddr, d.addr, 15600, true)
	wantReach(t, d.outside, d.outAddr, d.addr, NodeAPIPort, false)
	t.Run("container egress", func(t *testing.T) {
		c, err := dial(node, d.outAddr, 8080, 2*time.Second)
		if err != nil {
			t.Fatalf("the container does not reach the outside: %v", err)
		}
		c.Close()
	})
	// systemctl reload nftables runs nft -f /etc/nftables.conf.
	t.Run("a reload of nftables.conf", func(t *testing.T) {
		run(t, "ip", "netns", "exec", d.host.name, "nft", "-f", m.confPath)
		tables := run(t, "ip", "netns", "exec", d.host.name, "nft", "list", "tables")
		for _, want := range []string{"table ip nat", "table ip filter", "table inet harden"} {
			if !strings.Contains(tables, want) {
				t.Errorf("after the reload %s is gone:\n%s", want, tables)
			}
		}
		wantReach(t, d.outside, d.outAddr, d.addr, 15600, true)
		wantReach(t, d.outside, d.outAddr, d.addr, NodeAPIPort, false)
	})
	t.Run("a container started later", func(t *testing.T) {
		d.container(t, 3, 14267, 8081)
		d.publish(t, 3, 14267)
		d.publish(t, 3, 8081)
		wantReach(t, d.outside, d.outAddr, d.addr, 14267, true)
		wantReach(t, d.outside, d.outAddr, d.addr, 8081, false)
	})
}
