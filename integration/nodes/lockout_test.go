//go:build system

package nodes

import (
	"strings"
	"testing"

	"harden/integration/vps"
)

// Issue 7: with no key left for the operator, applying a key-only profile
// would lock everyone out. Run from the console (no ssh), apply refuses
// with exit 1, names the lockout guard and the fix, and changes nothing:
// /etc is identical, no run directory and no pending confirmation exist.
func TestLockoutGuardRefusesAndChangesNothing(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		n.mustSh("rm /home/deploy/.ssh/authorized_keys")
		before := n.etcState()
		runsBefore := n.mustSh("ls -A /var/lib/harden/runs 2>/dev/null || true").Stdout

		r := n.sh("harden apply -auto-approve -profile iri-node")
		if r.Exit != 1 {
			t.Fatalf("apply without any operator key: want exit 1:\n%s", r)
		}
		out := r.Stdout + r.Stderr
		for _, want := range []string{"lockout guard", "Fix:", "authorized_keys", "allow_lockout"} {
			if !strings.Contains(out, want) {
				t.Errorf("refusal does not name %q:\n%s", want, out)
			}
		}
		if after := n.etcState(); after != before {
			t.Errorf("refused apply changed /etc:\n%s", diffLines(before, after))
		}
		if runs := n.mustSh("ls -A /var/lib/harden/runs 2>/dev/null || true").Stdout; runs != runsBefore {
			t.Errorf("refused apply left a run directory: before %q, after %q", runsBefore, runs)
		}
		n.mustSh("test ! -e /var/lib/harden/pending.json")
		status := n.mustSh("harden status").Stdout
		if !strings.Contains(status, "No pending confirmation") {
			t.Errorf("harden status after the refusal:\n%s", status)
		}
		// The guard is what refused: with the key back, a plan of the same
		// profile passes it.
		n.mustSh("cp /root/.ssh/authorized_keys /home/deploy/.ssh/ && chown deploy: /home/deploy/.ssh/authorized_keys")
		if r := n.sh("harden plan -profile iri-node"); strings.Contains(r.Stdout+r.Stderr, "lockout guard") {
			t.Errorf("with the key back the guard still refuses:\n%s", r)
		}
	})
}
