//go:build system

package system

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// profilePath is where scenarios put their profile inside the VPS.
const profilePath = "/root/profile.hcl"

// movedSSH moves sshd to newPort and takes every other hardened default.
const newPort = 2222

var movedSSH = fmt.Sprintf("sshd {\n  port = %d\n}\n", newPort)

// bootWithProfile boots a fresh VPS of rel with harden and the profile in
// place.
func bootWithProfile(t *testing.T, rel vps.Release, profile string) *vps.Machine {
	t.Helper()
	m := vps.Boot(t, vps.Options{Release: rel})
	writeProfile(t, m, profile)
	return m
}

func writeProfile(t *testing.T, m *vps.Machine, profile string) {
	t.Helper()
	if err := os.WriteFile(m.Dir+profilePath, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
}

// harden runs harden on the VPS the operator's way (ssh, sudo) and fails
// the test unless it exits with one of ok (default 0).
func harden(m *vps.Machine, args string, ok ...int) vps.Result {
	return m.MustSudo("harden "+args, ok...)
}

// applyAndConfirm applies the profile, then confirms from a new session on
// the new port, as the operator is told to: the commit-confirmed rollback
// must not fire behind the test's back.
func applyAndConfirm(t *testing.T, m *vps.Machine) vps.Result {
	t.Helper()
	r := harden(m, "apply -auto-approve -profile "+profilePath)
	if err := m.WaitSSH(newPort, 10*time.Second); err != nil {
		t.Fatalf("sshd does not answer on port %d after apply: %v\n%s", newPort, err, r)
	}
	m.Port = newPort
	harden(m, "confirm")
	// The confirm reloads sshd to close the old port; sshd re-executes on
	// SIGHUP and is briefly not listening after systemd calls the reload done.
	if err := m.WaitSSH(newPort, 10*time.Second); err != nil {
		t.Fatalf("sshd does not answer on port %d after confirm: %v", newPort, err)
	}
	return r
}

// etcState is every path under /etc with its type, mode, owner, link target
// and content hash: two equal states mean no file was touched.
func etcState(t *testing.T, m *vps.Machine) string {
	t.Helper()
	r := m.MustShell(`find /etc -xdev -printf '%p %y %m %U:%G %l\n' | sort;` +
		` find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum`)
	return r.Stdout
}

// ownMachinery matches what harden installs for itself on its first apply
// that changes SSH (the unit that rolls back an unconfirmed apply after a
// reboot): it belongs to the installation, not to a run, so a rollback
// keeps it.
var ownMachinery = regexp.MustCompile(`/etc/systemd/system/(multi-user\.target\.wants/)?harden-pending-rollback\.service`)

// withoutMachinery drops ownMachinery's lines from an etcState.
func withoutMachinery(state string) string {
	var keep []string
	for _, l := range strings.Split(state, "\n") {
		if !ownMachinery.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// diffLines reports lines only in a or only in b.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ina, inb := in(a), in(b)
	var out strings.Builder
	for _, l := range strings.Split(a, "\n") {
		if !inb[l] {
			fmt.Fprintf(&out, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ina[l] {
			fmt.Fprintf(&out, "+ %s\n", l)
		}
	}
	return out.String()
}

// sshService is what shows whether ssh.service was restarted or reloaded:
// its main process, when it started, and how many reloads systemd logged.
type sshService struct {
	Show    string
	Reloads int
}

func sshServiceState(t *testing.T, m *vps.Machine) sshService {
	t.Helper()
	show := m.MustShell("systemctl show ssh.service -p MainPID -p ExecMainStartTimestampMonotonic -p NRestarts -p ActiveState")
	j := m.MustShell("journalctl -u ssh.service -o cat --no-pager | grep -c '^Reloading' || true")
	n, err := strconv.Atoi(strings.TrimSpace(j.Stdout))
	if err != nil {
		t.Fatalf("count reloads: %v\n%s", err, j)
	}
	return sshService{Show: show.Stdout, Reloads: n}
}

// hostTool fails the test if a host tool the scenario judges with is
// missing (CI installs it: it is not a reason to skip).
func hostTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found on the host: apt-get install %s", name, pkg)
	}
}

// refused fails unless a login attempt was turned away by sshd.
func refused(t *testing.T, what string, r vps.Result) {
	t.Helper()
	if r.OK() || !strings.Contains(r.Stderr, "Permission denied") {
		t.Fatalf("%s: want \"Permission denied\", got:\n%s", what, r)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// waitNothingPending waits until `harden status` shows no pending
// confirmation: the rollback timer's run moves the ports back before it
// finishes (a socket-activated sshd is started again after the socket
// moved) and clears the pending record last.
func waitNothingPending(t *testing.T, m *vps.Machine) {
	t.Helper()
	var r vps.Result
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if r = harden(m, "status"); strings.Contains(r.Stdout, "No pending confirmation") {
			return
		}
	}
	t.Errorf("status 30s after the automatic rollback moved the ports back:\n%s", r)
}
