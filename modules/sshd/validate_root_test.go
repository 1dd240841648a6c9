//go:build root

package sshd

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// A Debian 13 image (OpenSSH 10.0, whose hardened key exchange starts with
// mlkem768x25519-sha256) applied with -root from a machine whose own sshd
// is older: the image's binaries are never run, so this machine's sshd -t
// validates the candidate, limited to the algorithm names it knows.
func TestRootOfflineNewerImageValidatedByOlderSSHD(t *testing.T) {
	needSSHD(t)
	if out, _ := exec.Command("ssh", "-Q", "kex").Output(); strings.Contains(string(out), "mlkem768x25519-sha256") {
		t.Skip("this machine's OpenSSH knows mlkem768x25519-sha256: the image is not newer than it")
	}
	h, _ := imageRoot(t, 13)
	m := New()
	st := readState(t, m, h)
	p := mustPlan(t, m, st)
	if !strings.Contains(planText(p, h.Root()), "mlkem768x25519-sha256") {
		t.Fatalf("the Debian 13 plan does not choose ML-KEM:\n%s", planText(p, h.Root()))
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "limited to the algorithm names it knows") {
		t.Errorf("the plan does not say how the image's config is validated:\n%s", planText(p, h.Root()))
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatalf("offline apply of a Debian 13 image: %v", err)
	}
	got, _ := h.ReadFile(configPath)
	if !strings.Contains(string(got), "KexAlgorithms mlkem768x25519-sha256,") {
		t.Errorf("the image's sshd_config lost its own release's key exchange:\n%s", got)
	}
	if p2 := mustPlan(t, m, readState(t, m, h)); !p2.Empty() {
		t.Errorf("second plan not empty:\n%s", planText(p2, h.Root()))
	}
}
