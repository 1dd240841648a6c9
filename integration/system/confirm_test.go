//go:build system

package system

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// keysOnly hardens sshd without moving it: passwords and root login off.
const keysOnly = "sshd {}\n"

// A confirm must prove that a NEW connection works, also when no port
// moves: from the session that ran the apply it is refused (and the
// rollback stays armed); from a connection made afterwards it is accepted.
func TestConfirmNeedsANewConnection(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		m := bootWithProfile(t, rel, keysOnly)

		r := m.Sudo("harden apply -auto-approve -profile " + profilePath + " && sudo -n harden confirm")
		if !strings.Contains(r.Stdout, "Apply complete") {
			t.Fatalf("apply did not complete:\n%s", r)
		}
		if r.OK() || !strings.Contains(r.Stderr, "before run") || !strings.Contains(r.Stderr, "Open a NEW SSH connection") {
			t.Fatalf("confirm from the session that applied: want a refusal saying what to do, got:\n%s", r)
		}
		if s := harden(m, "status"); !strings.Contains(s.Stdout, "Pending confirmation") {
			t.Fatalf("the refused confirm disarmed the rollback:\n%s", s)
		}
		harden(m, "confirm") // a connection of its own, made after the apply
		if s := harden(m, "status"); !strings.Contains(s.Stdout, "No pending confirmation") {
			t.Errorf("confirm from a new connection left the run pending:\n%s", s)
		}
		refused(t, "password login after the confirmed apply",
			m.PasswordLogin(vps.DeployUser, vps.DeployPassword, 22))
	})
}

// A second apply that needs confirming, inside the first one's window, is
// refused naming the waiting run; the first run's own timer stays armed
// and rolls it back at its deadline.
func TestSecondApplyInTheWindowKeepsTheFirstRollback(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		m := bootWithProfile(t, rel, movedSSH)
		etc := etcState(t, m)

		harden(m, "apply -auto-approve -confirm-timeout 25s -profile "+profilePath)
		var pending struct {
			Run string `json:"run"`
		}
		if err := json.Unmarshal([]byte(m.MustShell("cat /var/lib/harden/pending.json").Stdout), &pending); err != nil || pending.Run == "" {
			t.Fatalf("pending.json after the first apply: %v", err)
		}
		timer := "harden-rollback-" + pending.Run + ".timer"

		// A change of its own (MaxAuthTries 2 is the default): an apply
		// with nothing to change has nothing to wait for.
		writeProfile(t, m, "sshd {\n  port = 2222\n  max_auth_tries = 3\n}\n")
		r := harden(m, "apply -auto-approve -profile "+profilePath, 1)
		for _, want := range []string{pending.Run, "harden confirm", "harden rollback " + pending.Run} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("the second apply's refusal does not say %q:\n%s", want, r)
			}
		}
		if a := m.Shell("systemctl is-active " + timer); strings.TrimSpace(a.Stdout) != "active" {
			t.Fatalf("the first run's timer %s after the refused apply: %s", timer, a)
		}
		// No confirm: the first run's timer rolls it back.
		if err := m.WaitClosed(newPort, 90*time.Second); err != nil {
			t.Fatalf("the first run was not rolled back at its deadline: %v\n%s", err, m.Journal("harden-rollback-*", 30))
		}
		if err := m.WaitSSH(22, 10*time.Second); err != nil {
			t.Fatalf("port 22 after the automatic rollback: %v", err)
		}
		if d := diffLines(etc, withoutMachinery(etcState(t, m))); d != "" {
			t.Errorf("/etc differs from before the first apply:\n%s", d)
		}
		waitNothingPending(t, m)
	})
}
