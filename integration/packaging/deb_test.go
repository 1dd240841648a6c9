//go:build system

package packaging

import (
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Scenario: dpkg -i on the fresh VPS installs harden and its units and
// changes nothing else; plan from the packaged profile shows the changes,
// apply makes them, the next plan is empty. Then the drift timer's check
// catches a manual change to sshd_config.
func TestDebInstallPlanApplyDrift(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		deb := buildDeb(t, oldVersion)
		m := bootFresh(t, rel)
		before := hardenedState(t, m)

		r := install(t, m, deb)
		if !strings.Contains(r.Stdout, "Nothing was changed") {
			t.Errorf("dpkg -i does not say that nothing was changed:\n%s", r)
		}
		if after := hardenedState(t, m); after != before {
			t.Errorf("installing the package changed the machine:\n--- before\n%s\n--- after\n%s", before, after)
		}
		if r := m.Shell("ls -A /var/lib/harden"); strings.TrimSpace(r.Stdout) != "" {
			t.Errorf("installing the package left state in /var/lib/harden:\n%s", r)
		}
		if v := m.MustSudo("harden version").Stdout; strings.TrimSpace(v) != "harden "+oldVersion {
			t.Errorf("harden version: %q", v)
		}
		// The conffile is the embedded default profile, byte for byte.
		conf := m.MustShell("cat /etc/harden/profile.hcl").Stdout
		builtin := m.MustShell("harden profiles show iri-node").Stdout
		if conf != builtin || !strings.Contains(conf, "sshd {") {
			t.Errorf("/etc/harden/profile.hcl is not the built-in iri-node profile:\n%s", conf)
		}
		if c := m.MustShell("cat /var/lib/dpkg/info/harden.conffiles").Stdout; c != "/etc/harden/profile.hcl\n" {
			t.Errorf("profile.hcl is not a conffile: %q", c)
		}
		if s := unitState(m, "harden-pending-rollback.service"); s != "enabled/inactive" {
			t.Errorf("harden-pending-rollback.service is %s, want enabled/inactive", s)
		}
		if s := unitState(m, "harden-drift.timer"); s != "disabled/inactive" {
			t.Errorf("harden-drift.timer is %s, want disabled/inactive", s)
		}
		verifyUnits(t, m)

		r = console(t, m, "plan -detailed-exitcode", 2)
		for _, want := range []string{"sshd.setting[Port]", "/etc/harden/profile.hcl"} {
			if !strings.Contains(r.Stdout+r.Stderr, want) {
				t.Errorf("plan does not mention %s:\n%s", want, r)
			}
		}
		applyFromConsole(t, m)
		// The operator confirms from a new session on the new port.
		m.MustSudo("harden confirm")
		r = m.MustSudo("harden plan -detailed-exitcode", 0)
		if !strings.Contains(r.Stdout, "No changes") {
			t.Errorf("second plan is not empty:\n%s", r)
		}

		// Drift: the operator turns the timer on; someone turns passwords
		// back on in front of harden's settings (sshd takes the first value).
		// From here on the console: the firewall rate-limits new SSH
		// connections, and these checks are not the operator's path.
		m.MustShell("systemctl enable --now harden-drift.timer")
		if s := unitState(m, "harden-drift.timer"); s != "enabled/active" {
			t.Fatalf("harden-drift.timer is %s after enable --now", s)
		}
		if next := m.MustShell("systemctl show -P NextElapseUSecRealtime harden-drift.timer").Stdout; strings.TrimSpace(next) == "" {
			t.Errorf("the drift timer has no next run")
		}
		m.MustShell("systemctl start harden-drift.service")
		if j := m.MustShell("journalctl -o cat HARDEN_DRIFT=0 --no-pager").Stdout; !strings.Contains(j, "no drift") {
			t.Errorf("the drift check of the hardened machine did not log \"no drift\":\n%s\n%s", j, m.Journal("harden-drift.service", 30))
		}
		m.MustShell("sed -i '1i PasswordAuthentication yes' /etc/ssh/sshd_config")
		start := time.Now()
		// The timer's job, run now: it exits 2 on drift, which the unit counts
		// as success (a failed unit means the check itself broke).
		m.MustShell("systemctl start harden-drift.service")
		t.Logf("drift check ran in %s", time.Since(start).Round(time.Millisecond))
		if s := m.MustShell("systemctl show -P Result harden-drift.service").Stdout; strings.TrimSpace(s) != "success" {
			t.Errorf("harden-drift.service result %q after drift:\n%s", s, m.Journal("harden-drift.service", 30))
		}
		j := m.MustShell("journalctl -o export HARDEN_DRIFT=1 --no-pager").Stdout
		if !strings.Contains(j, "HARDEN_ADDRESSES=") || !strings.Contains(j, "sshd.") {
			t.Errorf("no drift entry with the changed sshd addresses in the journal:\n%s\n%s", j,
				m.Journal("harden-drift.service", 30))
		}
		if st := console(t, m, "status").Stdout; !strings.Contains(st, "DRIFT at") || !strings.Contains(st, "sshd.") {
			t.Errorf("harden status does not report the drift:\n%s", st)
		}
	})
}

// Scenario: an operator edits /etc/harden/profile.hcl; upgrading to a newer
// build keeps the edit (and an enabled drift timer), with no prompt.
func TestDebUpgradeKeepsEditedProfile(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		oldDeb, newDeb := buildDeb(t, oldVersion), buildDeb(t, newVersion)
		m := bootFresh(t, rel)
		install(t, m, oldDeb)
		m.MustSudo(`sed -i 's/default     = 2222/default     = 2200/' /etc/harden/profile.hcl`)
		edited := m.MustShell("cat /etc/harden/profile.hcl").Stdout
		if !strings.Contains(edited, "2200") {
			t.Fatalf("the edit did not take:\n%s", edited)
		}
		m.MustSudo("systemctl enable harden-drift.timer")

		r := m.MustSudo("dpkg -i " + copyDeb(t, m, newDeb) + " </dev/null")
		if v := m.MustSudo("harden version").Stdout; strings.TrimSpace(v) != "harden "+newVersion {
			t.Fatalf("after the upgrade harden version is %q\n%s", v, r)
		}
		if now := m.MustShell("cat /etc/harden/profile.hcl").Stdout; now != edited {
			t.Errorf("the upgrade replaced the edited profile:\n%s\n%s", now, r)
		}
		if r := m.Shell("ls /etc/harden"); strings.TrimSpace(r.Stdout) != "profile.hcl" {
			t.Errorf("/etc/harden after the upgrade: %q", r.Stdout)
		}
		if s := unitState(m, "harden-drift.timer"); !strings.HasPrefix(s, "enabled/") {
			t.Errorf("the upgrade turned the drift timer off: %s", s)
		}
		if s := unitState(m, "harden-pending-rollback.service"); !strings.HasPrefix(s, "enabled/") {
			t.Errorf("harden-pending-rollback.service after the upgrade: %s", s)
		}
		// harden reads the edited profile by default.
		r = console(t, m, "plan -detailed-exitcode", 2)
		if !strings.Contains(r.Stdout, "2200") {
			t.Errorf("plan does not use the edited port:\n%s", r)
		}
	})
}

// Scenario: dpkg -r refuses while an apply waits for confirmation, then,
// once confirmed, removes harden and leaves the hardened state in place,
// saying so.
func TestDebRemoveKeepsHardenedState(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		deb := buildDeb(t, oldVersion)
		m := bootFresh(t, rel)
		install(t, m, deb)
		applyFromConsole(t, m)

		r := m.MustSudo("dpkg -r harden", 1)
		if !strings.Contains(r.Stderr, "waiting for confirmation") {
			t.Errorf("dpkg -r with a pending apply does not say why it refuses:\n%s", r)
		}
		if !m.Shell("test -x /usr/bin/harden").OK() {
			t.Fatal("harden was removed although an apply waits for confirmation")
		}
		m.MustSudo("harden confirm")
		hardened := hardenedState(t, m)

		r = m.MustSudo("dpkg -r harden")
		if !strings.Contains(r.Stdout, "left in place") {
			t.Errorf("dpkg -r does not say the hardened state stays:\n%s", r)
		}
		if m.Shell("test -e /usr/bin/harden").OK() {
			t.Error("/usr/bin/harden is still there")
		}
		if now := hardenedState(t, m); now != hardened {
			t.Errorf("removing harden changed the hardened state:\n--- before\n%s\n--- after\n%s", hardened, now)
		}
		if _, err := m.Banner(22); err == nil {
			t.Error("port 22 answers again after removal")
		}
		if err := m.WaitSSH(sshPort, 5*time.Second); err != nil {
			t.Errorf("sshd gone from %d after removal: %v", sshPort, err)
		}
		if r := m.Shell("ls /var/lib/harden/runs"); !r.OK() || strings.TrimSpace(r.Stdout) == "" {
			t.Errorf("the run records and backups are gone:\n%s", r)
		}
		for _, unit := range []string{"harden-pending-rollback.service", "harden-drift.timer"} {
			if s := unitState(m, unit); strings.HasPrefix(s, "enabled") {
				t.Errorf("%s still %s after removal", unit, s)
			}
		}
		if r := m.MustShell("systemctl list-units --failed --no-legend --plain 'harden*'"); strings.TrimSpace(r.Stdout) != "" {
			t.Errorf("failed harden units after removal:\n%s", r.Stdout)
		}
	})
}

// verifyUnits has systemd check the packaged units. Without man on the
// machine (a minimal image) it cannot resolve Documentation=man:harden(1);
// that alone is not a fault of the units.
func verifyUnits(t *testing.T, m *vps.Machine) {
	t.Helper()
	r := m.Shell("systemd-analyze verify /lib/systemd/system/harden-drift.service " +
		"/lib/systemd/system/harden-drift.timer /lib/systemd/system/harden-pending-rollback.service")
	noMan := !m.Shell("command -v man").OK()
	var complaints []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stderr+r.Stdout), "\n") {
		if l == "" || (noMan && strings.Contains(l, "Command 'man harden(1)' failed")) {
			continue
		}
		complaints = append(complaints, l)
	}
	if len(complaints) > 0 || (!r.OK() && !noMan) {
		t.Errorf("systemd-analyze verify complains:\n%s", r)
	}
}
