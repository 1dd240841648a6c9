package host

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A process started without SSH_CONNECTION (as sudo starts harden) finds it
// in its parent, which was started with it (as the operator's shell is).
// /proc/PID/environ shows the environment a process was exec'd with, so the
// test builds the chain from real processes: test → shell-like → child.
func TestSessionEnvFindsSSHConnectionInAncestors(t *testing.T) {
	self := func(role string, env ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSessionEnvFindsSSHConnectionInAncestors$")
		cmd.Env = append(env, "HARDEN_SESSION_ROLE="+role)
		return cmd
	}
	switch os.Getenv("HARDEN_SESSION_ROLE") {
	case "child":
		os.Stdout.WriteString("found=" + sessionEnv("SSH_CONNECTION") + "\n")
		return
	case "shell":
		out, _ := self("child").CombinedOutput() // no SSH_CONNECTION: like sudo's reset
		os.Stdout.Write(out)
		return
	}
	out, err := self("shell", "SSH_CONNECTION=10.0.0.9 50000 10.0.0.1 2222").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "found=10.0.0.9 50000 10.0.0.1 2222") {
		t.Errorf("child output: %s", out)
	}
}
