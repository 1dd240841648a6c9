//go:build root

package firewall

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harden/modules/module/moduletest"
)

// startSSHD runs a real sshd inside ns on port, until cleanup.
func startSSHD(t *testing.T, ns *netns, port string) {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		t.Skip("sshd not installed (apt-get install openssh-server)")
	}
	key := filepath.Join(t.TempDir(), "host_key")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	cmd := exec.Command("ip", "netns", "exec", ns.name, sshd, "-D", "-f", "/dev/null", "-h", key,
		"-p", port, "-o", "PidFile=none")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, _ := exec.Command("ip", "netns", "exec", ns.name, "ss", "-Hltn", "sport = :"+port).Output()
		if strings.Contains(string(out), ":"+port) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not listen on %s in %s", port, ns.name)
		}
	}
}

// `-target firewall` from a console while the profile moves sshd to 2222:
// the firewall keeps 2200, where a real sshd in the namespace listens, and
// a new connection to it still gets through.
func TestRootTargetFirewallKeepsTheLiveSSHDPort(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, _ := vethPair(t, a, b)
	startSSHD(t, a, "2200")

	m := New()
	m.InNetns(a.fd)
	moduletest.MustDecode(t, m, "firewall {}")
	if diags := m.Link(peers{"sshd": fakeSSHD{ports: []int{2222}}}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	m.LeftOut([]string{"sshd"})
	h, _, _ := liveHost(t, m, "")
	p, st := planOf(t, m, h)
	if !slices.Contains(st.SSHDPorts, 2200) {
		t.Fatalf("sshd's live ports read as %v, want 2200 among them", st.SSHDPorts)
	}
	if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, "sshd listens on 2200 now") {
		t.Errorf("plan does not say why 2200 stays open: %q", p.Notes)
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if again, _ := planOf(t, m, h); !again.Empty() {
		t.Fatalf("plan after apply not empty: %v", addresses(again))
	}
	c, err := dial(b, addr, 2200, 2*time.Second)
	if err != nil {
		t.Fatalf("sshd's live port 2200 closed by the firewall: %v", err)
	}
	c.Close()
}
