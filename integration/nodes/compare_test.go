//go:build system

package nodes

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// compareRuns is how many times each slow audit runs for its median.
const compareRuns = 3

// TestAuditTimeAgainstLynisAndDebianCIS times, on one booted Debian 12 VPS
// with the public profile applied, `harden audit` beside Lynis (Debian's
// package, `lynis audit system --quick`) and OVH's debian-cis
// (`bin/hardening.sh --audit-all`). A measurement, not a check: it runs
// only with HARDEN_AUDIT_COMPARE naming a checkout of debian-cis (the VPS
// has no network to clone it), and logs the medians.
func TestAuditTimeAgainstLynisAndDebianCIS(t *testing.T) {
	cis := os.Getenv("HARDEN_AUDIT_COMPARE")
	if cis == "" {
		t.Skip("a measurement: set HARDEN_AUDIT_COMPARE to a debian-cis checkout to run it")
	}
	if _, err := os.Stat(filepath.Join(cis, "bin/hardening.sh")); err != nil {
		t.Fatalf("HARDEN_AUDIT_COMPARE=%s is no debian-cis checkout: %v", cis, err)
	}
	m := vps.Boot(t, vps.Options{Prepare: func(m *vps.Machine) error {
		if err := vps.InstallPackages(context.Background(), m.Dir, "audit-compare", "lynis", "patch"); err != nil {
			return err
		}
		dst := filepath.Join(m.Dir, "opt/cis-hardening")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		if out, err := exec.Command("cp", "-a", cis+"/.", dst+"/").CombinedOutput(); err != nil {
			return fmt.Errorf("copy debian-cis: %v: %s", err, out)
		}
		return exec.Command("cp", filepath.Join(dst, "debian/default"), filepath.Join(m.Dir, "etc/default/cis-hardening")).Run()
	}})
	n := &node{Machine: m, t: t}
	n.applyAndConfirm("-profile iri-public-node")

	harden, _ := n.timeAudit("-profile iri-public-node")
	lynis := n.timeCommand("lynis audit system --quick --no-colors")
	debianCIS := n.timeCommand("/opt/cis-hardening/bin/hardening.sh --audit-all")
	t.Logf("on one booted %s VPS, medians: harden audit %s; lynis audit system --quick %s; "+
		"debian-cis hardening.sh --audit-all %s (each %d runs)", m.Release, harden, lynis, debianCIS, compareRuns)
}

// timeCommand runs a command compareRuns times inside the VPS as root and
// returns its median wall time; a run that fails is logged, not timed.
func (n *node) timeCommand(cmd string) time.Duration {
	n.t.Helper()
	var runs []time.Duration
	for i := 0; i < compareRuns; i++ {
		start := time.Now()
		r := n.sh(cmd + " >/tmp/compare.log 2>&1; echo exit $?")
		took := time.Since(start)
		if !strings.Contains(r.Stdout, "exit") {
			n.t.Fatalf("%s did not run: %s", cmd, r)
		}
		n.t.Logf("%s: %s (%s)", cmd, took.Round(time.Millisecond), strings.TrimSpace(r.Stdout))
		runs = append(runs, took)
	}
	tail := n.sh("tail -n 15 /tmp/compare.log").Stdout
	n.t.Logf("%s, last lines of its last run:\n%s", cmd, tail)
	return median(runs).Round(time.Millisecond)
}
