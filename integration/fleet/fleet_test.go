//go:build system

package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// The confirm window and reconnect wait of the fleet scenario, as role
// variables: short, so the unreachable host rolls back within the test.
const (
	confirmWindow = 30 // harden_confirm_timeout, seconds
	reconnectWait = 10 // harden_reconnect_timeout, seconds
)

// Issue 19: Ansible drives harden over three VPSes at once. The third sits
// behind a provider's firewall that drops the operator's packets to the
// new SSH port, which harden cannot see (another nftables table): its
// apply goes through, the reconnect fails. Afterwards two hosts are
// hardened and confirmed (key login on 2222, 22 closed, nothing pending),
// the third is reported failed without holding up the others, rolls back
// by itself at its deadline and still lets the operator in on 22. A second
// run changes nothing on the hardened hosts; --check on the rolled-back
// host plans and changes nothing.
func TestFleetConfirmsTwoAndLeavesOneToRollBack(t *testing.T) {
	start := time.Now()
	c := newController(t)
	c.buildInBackground()
	nodes := bootFleet(t, fleetSize, 2)
	healthy, blocked := nodes[:2], nodes[2]
	t.Logf("%d machines up after %s", len(nodes), time.Since(start).Round(time.Millisecond))

	p := c.playbook(t, nodes, map[string]any{
		"harden_confirm_timeout": confirmWindow, "harden_reconnect_timeout": reconnectWait})
	t.Logf("play over %d hosts: %s; slowest tasks:\n%s", len(nodes), p.Wall.Round(time.Millisecond), p.slowest(10))
	if p.Result.Exit != 2 { // ansible-playbook: 2 when a host failed
		t.Fatalf("ansible-playbook exit %d, want 2 (one host failed):\n%s", p.Result.Exit, p.failures())
	}
	for _, n := range healthy {
		s, rep := p.Stats[n.name], p.Reports[n.name]
		if s.Failures != 0 || s.Unreachable != 0 || s.Changed == 0 {
			t.Errorf("%s: recap %+v, want changes and no failure:\n%s", n.name, s, p.failures())
		}
		if rep.Status != "confirmed" || rep.Port != sshPort || !reflect.DeepEqual(rep.ClosedPorts, []int{22}) ||
			rep.Run == "" || rep.Changes == 0 || !reflect.DeepEqual(rep.SSHPorts, []int{sshPort}) {
			t.Errorf("%s: harden_result %+v, want confirmed on %d with 22 closed", n.name, rep, sshPort)
		}
	}
	rep := p.Reports[blocked.name]
	if s := p.Stats[blocked.name]; s.Failures != 1 {
		t.Errorf("%s: recap %+v, want one failure", blocked.name, s)
	}
	if rep.Status != "not-confirmed" || rep.Run == "" || rep.Deadline == "" {
		t.Fatalf("%s: harden_result %+v, want not-confirmed with a run and a deadline", blocked.name, rep)
	}
	if msg := p.failures(); !strings.Contains(msg, "does not answer on port 2222") || !strings.Contains(msg, "rolls it back by itself") {
		t.Errorf("the failure does not say what happened and what comes next:\n%s", msg)
	}

	for _, n := range healthy {
		checkHardened(t, n)
	}
	// Run the play again on what the operator now has: the hardened hosts
	// on their new port (nothing to do) while the third waits for its
	// deadline; then the rolled-back one in check mode.
	for i := range healthy {
		healthy[i].port = sshPort
	}
	type outcome struct {
		p   play
		err error
	}
	second := make(chan outcome, 1)
	reports := t.TempDir()
	go func() {
		p, err := c.run(c.fleetPlay(healthy, map[string]any{"harden_report_dir": reports}))
		second <- outcome{p, err}
	}()
	checkRolledBack(t, blocked, rep)
	t.Logf("%s rolled back, %s into the test", blocked.name, time.Since(start).Round(time.Millisecond))
	checkModePlansOnly(t, c, blocked)

	o := <-second
	again := o.p
	t.Logf("second run over %d hosts: %s", len(healthy), again.Wall.Round(time.Millisecond))
	if o.err != nil || again.Result.Exit != 0 {
		t.Fatalf("second run: %v, exit %d:\n%s", o.err, again.Result.Exit, again.failures())
	}
	for _, n := range healthy {
		if s, rep := again.Stats[n.name], again.Reports[n.name]; s.Changed != 0 || rep.Status != "no-changes" {
			t.Errorf("second run on %s: recap %+v, harden_result %+v; want no change", n.name, s, rep)
		}
	}
	// The operator's copy of each host's result, for a fleet's records.
	if files, err := readReports(reports); err != nil || !reflect.DeepEqual(files, again.Reports) {
		t.Errorf("harden_report_dir holds %+v (%v), want %+v", files, err, again.Reports)
	}
}

// checkHardened judges a confirmed host from outside: the operator's key
// on the new port, 22 closed, nothing waiting for confirmation.
func checkHardened(t *testing.T, n node) {
	t.Helper()
	if r := n.m.SSH(vps.DeployUser, sshPort, "sudo -n true"); !r.OK() {
		t.Errorf("%s: key login on %d:\n%s", n.name, sshPort, r)
	}
	if err := n.m.WaitClosed(22, 10*time.Second); err != nil {
		t.Errorf("%s: %v", n.name, err)
	}
	if _, err := os.Stat(filepath.Join(n.m.Dir, "var/lib/harden/pending.json")); err == nil {
		t.Errorf("%s: an apply still waits for confirmation", n.name)
	}
	if ports := n.m.MustShell("sshd -T | awk '$1 == \"port\" {print $2}'").Stdout; ports != "2222\n" {
		t.Errorf("%s: sshd listens on %q, want 2222 alone", n.name, ports)
	}
}

// checkRolledBack waits for the unreachable host's own rollback (harden's
// timer, at the deadline the apply reported) and judges the result: the
// run is rolled back, sshd is on 22 alone, the operator gets in there, and
// the provider's firewall that caused it all is still in place.
func checkRolledBack(t *testing.T, n node, rep report) {
	t.Helper()
	deadline, err := time.Parse(time.RFC3339, rep.Deadline)
	if err != nil {
		t.Fatalf("%s: deadline %q: %v", n.name, rep.Deadline, err)
	}
	if d := time.Until(deadline); d > confirmWindow*time.Second {
		t.Errorf("%s: deadline %s is not within the %ds window", n.name, rep.Deadline, confirmWindow)
	}
	status := func() string {
		data, err := os.ReadFile(filepath.Join(n.m.Dir, "var/lib/harden/runs", rep.Run, "result.json"))
		if err != nil {
			return err.Error()
		}
		var res struct{ Status string }
		_ = json.Unmarshal(data, &res)
		return res.Status
	}
	for status() != "rolled-back" {
		if time.Since(deadline) > 30*time.Second {
			t.Fatalf("%s: run %s is %q 30s after its deadline %s\n%s", n.name, rep.Run, status(), rep.Deadline,
				n.m.Journal("", 40))
		}
		if s := status(); s != "applied" {
			t.Fatalf("%s: run %s is %q before its deadline", n.name, rep.Run, s)
		}
		time.Sleep(time.Second)
	}
	t.Logf("%s rolled back by itself, %s after its deadline", n.name, time.Since(deadline).Round(time.Second))
	if _, err := os.Stat(filepath.Join(n.m.Dir, "var/lib/harden/pending.json")); err == nil {
		t.Errorf("%s: still pending after the rollback", n.name)
	}
	if ports := n.m.MustShell("sshd -T | awk '$1 == \"port\" {print $2}'").Stdout; ports != "22\n" {
		t.Errorf("%s: sshd listens on %q after the rollback, want 22 alone", n.name, ports)
	}
	if r := n.m.SSH(vps.DeployUser, 22, "sudo -n true"); !r.OK() {
		t.Errorf("%s: the operator cannot get in on 22 after the rollback:\n%s", n.name, r)
	}
	if r := n.m.Shell("nft list table inet provider"); !r.OK() {
		t.Errorf("%s: the provider's table is gone, so the failure had another cause:\n%s", n.name, r)
	}
}

// checkModePlansOnly runs the play with --check on a host with harden
// installed and changes pending: the plan is reported, nothing applied.
func checkModePlansOnly(t *testing.T, c *controller, n node) {
	t.Helper()
	runs := n.m.MustShell("ls /var/lib/harden/runs").Stdout
	// harden is installed: this run is about what --check does to the plan.
	p := c.playbook(t, []node{n}, map[string]any{"harden_install": false}, "--check")
	t.Logf("--check on %s: %s", n.name, p.Wall.Round(time.Millisecond))
	rep := p.Reports[n.name]
	if p.Result.Exit != 0 || rep.Status != "planned" || rep.Changes == 0 || !strings.Contains(strings.Join(rep.Addresses, " "), "sshd.") {
		t.Fatalf("--check on %s: exit %d, harden_result %+v; want a plan with sshd changes:\n%s",
			n.name, p.Result.Exit, rep, p.failures())
	}
	if s := p.Stats[n.name]; s.Changed == 0 {
		t.Errorf("--check on %s: recap %+v does not mark the host as one a real run changes", n.name, s)
	}
	if now := n.m.MustShell("ls /var/lib/harden/runs").Stdout; now != runs {
		t.Errorf("--check on %s made a run: before %q, after %q", n.name, runs, now)
	}
	if ports := n.m.MustShell("sshd -T | awk '$1 == \"port\" {print $2}'").Stdout; ports != "22\n" {
		t.Errorf("--check on %s moved sshd to %q", n.name, ports)
	}
}

// bootFleet boots n fresh VPSes with Python (Ansible's modules need it,
// as on a provider's Debian image) and without harden: the role installs
// the package. Hosts from index blockFrom on sit behind a provider
// firewall that drops the host's packets to the new SSH port.
func bootFleet(t *testing.T, n, blockFrom int) []node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	image, err := vps.Shared(t).Image(vps.DefaultRelease(), false)
	if err != nil {
		t.Fatalf("image: %v", err)
	}
	python, err := vps.PackageOverlay(ctx, image, "python3", "python3-apt")
	if err != nil {
		t.Fatalf("python for ansible: %v", err)
	}
	var nodes []node
	for i := range n {
		blocked := i >= blockFrom
		m := vps.Boot(t, vps.Options{NoHarden: true, Prepare: func(m *vps.Machine) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := vps.Unpack(ctx, python, m.Dir); err != nil {
				return err
			}
			if blocked {
				return os.WriteFile(filepath.Join(m.Dir, "root/provider.nft"), []byte(providerFirewall(m.HostAddr)), 0o644)
			}
			return nil
		}})
		if blocked {
			m.MustShell("nft -f /root/provider.nft")
		}
		nodes = append(nodes, node{name: fmt.Sprintf("vps%d", i+1), m: m, port: 22})
	}
	return nodes
}

// providerFirewall is a table of someone else's (a provider's filter, a
// leftover of an earlier setup) that drops the operator's packets to the
// new SSH port. harden leaves other tables alone, and a drop in any base
// chain is final whatever harden's own table accepts.
func providerFirewall(operator string) string {
	return fmt.Sprintf(`table inet provider {
	chain input {
		type filter hook input priority filter - 10; policy accept;
		ip saddr %s tcp dport %d drop
	}
}
`, operator, sshPort)
}

// The confirm must come over a connection made after the apply, and when
// sshd keeps its port that is the role's doing alone: the ControlPersist
// master the apply ran over would otherwise carry the confirm too, and
// harden refuses a confirm from a connection older than the apply. The
// profile keeps sshd on 22 and still changes sshd and the firewall, so the
// apply waits for a confirm; the role confirms it over a new connection.
func TestFleetConfirmOnTheSamePortUsesANewConnection(t *testing.T) {
	c := newController(t)
	c.buildInBackground()
	n := bootFleet(t, 1, 1)[0]
	p := c.playbook(t, []node{n}, map[string]any{"harden_vars": map[string]any{"ssh_port": 22},
		"harden_confirm_timeout": confirmWindow, "harden_reconnect_timeout": reconnectWait})
	rep := p.Reports[n.name]
	if p.Result.Exit != 0 || rep.Status != "confirmed" || rep.Port != 22 || rep.Run == "" {
		t.Fatalf("exit %d, harden_result %+v; want confirmed on 22:\n%s", p.Result.Exit, rep, p.failures())
	}
	if _, err := os.Stat(filepath.Join(n.m.Dir, "var/lib/harden/pending.json")); err == nil {
		t.Errorf("an apply still waits for confirmation")
	}
}
