//go:build system

package system

import (
	"fmt"
	"strings"
	"testing"

	"harden/integration/vps"
)

// A Match block the operator wrote that gives root its login back survives
// the hardening (harden leaves Match blocks alone), so every plan shows it
// and drift reports it; from the host, root really logs in from the
// addresses it names — the risk is real, not a false alarm.
func TestMatchBlockGivingRootLoginBack(t *testing.T) {
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		m := vps.Boot(t, vps.Options{Release: rel})
		// root among the admitted users (the default AllowUsers admits
		// only the administrators with keys), as on many a VPS.
		writeProfile(t, m, fmt.Sprintf("sshd {\n  port = %d\n  allow_users = [%q, \"root\"]\n}\n", newPort, vps.DeployUser))
		m.MustShell(`printf 'Match Address 10.231.0.0/16\n  PermitRootLogin yes\n' >> /etc/ssh/sshd_config`)
		applyAndConfirm(t, m)

		r := harden(m, "plan -detailed-exitcode -profile "+profilePath, 0)
		if !strings.Contains(r.Stdout, "sshd.match[PermitRootLogin]") || !strings.Contains(r.Stdout, "10.231.0.0") {
			t.Errorf("plan does not show the Match block's risk:\n%s", r)
		}
		d := harden(m, "drift -profile "+profilePath, 2)
		if !strings.Contains(d.Stderr, "sshd.match[PermitRootLogin]") {
			t.Errorf("drift does not report the Match block:\n%s", d)
		}
		// The host's end of the link is in 10.231.0.0/16: root gets in.
		m.Expect(m.SSH("root", newPort, "true"))

		m.MustShell(`sed -i '/^Match Address 10.231.0.0\/16$/,$d' /etc/ssh/sshd_config && systemctl restart ssh`)
		harden(m, "drift -profile "+profilePath, 0)
		refused(t, "root key login without the Match block", m.SSH("root", newPort, "true"))
	})
}
