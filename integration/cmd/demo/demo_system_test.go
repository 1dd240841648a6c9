//go:build system

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"harden/integration/vps"
)

// TestMain checks that the demo leaves this machine as it found it, as
// every system-tier suite does.
func TestMain(m *testing.M) {
	os.Exit(vps.RunSuite(m, "demo", publicPorts...))
}

// TestMakeRun runs what `make run` runs, the built program with a static
// harden, and checks its exit code and the view from outside it prints:
// every row of the before/after table shows the hardened state.
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

	cmd := exec.Command(demo, "-harden", harden)
	cmd.Dir = root
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	out := stdout.String()
	if err != nil {
		t.Fatalf("demo: %v\n--- stdout\n%s\n--- stderr\n%s", err, out, stderr.String())
	}
	t.Logf("demo output:\n%s", out)

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
