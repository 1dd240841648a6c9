//go:build system

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"harden/integration/vps"
)

// sgr matches the colour sequences a terminal gets.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestMain checks that the demo leaves this machine as it found it, as
// every system-tier suite does.
func TestMain(m *testing.M) {
	os.Exit(vps.RunSuite(m, "demo", publicPorts...))
}

// TestMakeRun runs what `make run` runs, the built program with a static
// harden, from a terminal, and checks its exit code and the view from
// outside it prints: every row of the before/after table shows the
// hardened state.
func TestMakeRun(t *testing.T) {
	vps.Require(t)
	root, err := vps.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	harden, err := vps.BuildHarden(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(dir, "demo")
	build := exec.Command("go", "build", "-o", demo, "./integration/cmd/demo")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build demo: %v\n%s", err, out)
	}

	// From a terminal, as a newcomer runs `make run`: the plan arrives
	// coloured and wrapped, as the operator's own terminal shows it.
	cmd := exec.Command(demo, "-harden", harden)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NO_COLOR=", "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 100})
	if err != nil {
		t.Fatalf("start the demo on a terminal: %v", err)
	}
	var raw strings.Builder
	io.Copy(&raw, tty) // until the demo exits (EIO)
	err = cmd.Wait()
	tty.Close()
	out := sgr.ReplaceAllString(strings.ReplaceAll(raw.String(), "\r\n", "\n"), "")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	t.Logf("demo output:\n%s", out)
	if !strings.Contains(raw.String(), "\x1b[32m+\x1b[0m user.iri.account[iri]") ||
		!strings.Contains(raw.String(), "\x1b[33m~\x1b[0m sshd.setting[PermitRootLogin]") {
		t.Errorf("the plan is not coloured on a terminal")
	}
	_, planText, _ := strings.Cut(out, "sudo harden plan ")
	planText, _, _ = strings.Cut(planText, "(plan took")
	for _, l := range strings.Split(planText, "\n") {
		if len(l) > 100 {
			t.Errorf("a plan line wider than the terminal's 100 columns: %q", l)
		}
	}

	// The operator's three commands, the last from a session on the new port.
	for _, want := range []string{
		`(?m)^\$ ssh -p 22 deploy@\S+ sudo harden plan -profile iri-public-node`,
		`(?m)^\$ ssh -p 22 deploy@\S+ sudo harden apply -auto-approve -profile iri-public-node`,
		`(?m)^Apply complete: \d+ changes made`,
		`(?m)^\$ ssh -p 2222 deploy@\S+ sudo harden confirm$`,
		`(?m)^Run \S+ confirmed`,
		// The view from outside, before and after.
		`(?m)^  ok +SSH on port 22 +open +closed$`,
		`(?m)^  ok +key login as deploy +works on port 22 +works on port 2222$`,
		`(?m)^  ok +password login as deploy +accepted +refused$`,
		`(?m)^  ok +root login with a key +accepted +refused$`,
		`(?m)^  ok +node API, port 14265 +getNodeInfo 200 +unreachable$`,
		`(?m)^  ok +node API via HAProxy, port 14267 +unreachable +getNodeInfo 200, addNeighbors 4\d\d$`,
		`(?m)^  ok +node runs as +root +iri$`,
		`(?m)^  ok +node's open-files limit +.* \(systemd: 65535[;)]`,
		`(?m)VPS removed\. This machine's own sshd and firewall are as they were`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("demo output lacks %s", want)
		}
	}
	if strings.Contains(out, "NOT HARDENED") {
		t.Errorf("a check from outside failed:\n%s", out)
	}
}
