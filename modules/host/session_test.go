package host

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A child started without SSH_CONNECTION (as sudo would start harden)
// still finds it in its parent: this test process.
func TestSessionEnvFindsSSHConnectionInAncestors(t *testing.T) {
	if os.Getenv("HARDEN_SESSION_CHILD") == "1" {
		os.Stdout.WriteString("found=" + sessionEnv("SSH_CONNECTION") + "\n")
		return
	}
	t.Setenv("SSH_CONNECTION", "10.0.0.9 50000 10.0.0.1 2222")
	cmd := exec.Command(os.Args[0], "-test.run", "TestSessionEnvFindsSSHConnectionInAncestors")
	cmd.Env = []string{"HARDEN_SESSION_CHILD=1"} // no SSH_CONNECTION: like sudo's reset
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "found=10.0.0.9 50000 10.0.0.1 2222") {
		t.Errorf("child output: %s", out)
	}
}
