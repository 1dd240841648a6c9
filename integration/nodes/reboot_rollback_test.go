//go:build system

package nodes

import (
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Issue 7: an apply that moves sshd from 22 to 2222 and is never confirmed
// is rolled back by harden-pending-rollback.service when the machine
// reboots inside the confirm window: port 22 answers again, 2222 does not,
// sshd_config is byte-identical to before and nothing is pending.
func TestRebootInsideConfirmWindowRollsBack(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		before := n.mustSh("sha256sum /etc/ssh/sshd_config").Stdout

		// A window far longer than the test: only the boot unit can roll back.
		n.harden("apply -auto-approve -confirm-timeout 30m -profile iri-node")
		if err := n.WaitSSH(sshPort, 10*time.Second); err != nil {
			t.Fatalf("sshd does not answer on %d after apply: %v", sshPort, err)
		}
		if after := n.mustSh("sha256sum /etc/ssh/sshd_config").Stdout; after == before {
			t.Fatalf("apply did not change sshd_config: the rollback check below could not fail")
		}
		if s := n.mustSh("harden status").Stdout; !strings.Contains(s, "Pending confirmation") {
			t.Fatalf("harden status after an unconfirmed apply:\n%s", s)
		}

		n.Reboot()
		if err := n.waitGreeting(22, "SSH-", 30*time.Second); err != nil {
			t.Fatalf("after the reboot port 22: %v\n%s", err, n.mustSh("journalctl -b --no-pager -u harden-pending-rollback.service").Stdout)
		}
		if err := n.waitUnreachable(sshPort, 10*time.Second); err != nil {
			t.Errorf("after the reboot: %v", err)
		}
		if after := n.mustSh("sha256sum /etc/ssh/sshd_config").Stdout; after != before {
			t.Errorf("sshd_config after the rollback differs:\nbefore %safter  %s", before, after)
		}
		// The boot unit's own log is the witness that it did the rollback. Its
		// ConditionResult is not: it was seen to read "no" after the unit had
		// run and rolled back.
		show := n.mustSh("systemctl show -p Result -p ExecMainStatus harden-pending-rollback.service").Stdout
		log := n.mustSh("journalctl -b --no-pager -o cat -u harden-pending-rollback.service").Stdout
		if !strings.Contains(show, "Result=success") || !strings.Contains(show, "ExecMainStatus=0") ||
			!strings.Contains(log, "is rolled back") {
			t.Errorf("harden-pending-rollback.service did not roll back:\n%s\n%s", show, log)
		}
		if s := n.mustSh("harden status").Stdout; !strings.Contains(s, "No pending confirmation") {
			t.Errorf("harden status after the rollback:\n%s", s)
		}
		n.mustSh("test ! -e /var/lib/harden/pending.json")
		// The operator's way in works again on the old port.
		n.Port = 22
		n.MustSudo("true")
	})
}
