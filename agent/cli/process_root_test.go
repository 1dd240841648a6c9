//go:build root

package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests here run harden as its own process: as another user, or to
// send it signals. The process is this test binary re-executed as harden
// (cmd/harden's main is this one call), which saves a go build.
func TestMain(m *testing.M) {
	if os.Getenv("HARDEN_TEST_AS_HARDEN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// hardenBinary is a copy of this binary that any user may run.
func hardenBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "harden")
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

func hardenCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HARDEN_TEST_AS_HARDEN=1")
	cmd.Dir = "/"
	return cmd
}

// TestNonRootIsToldToUseSudo: as an ordinary user, every verb that reads or
// changes the machine stops first with "harden must run as root" and the
// sudo line to run instead; the verbs that only read a profile or print work.
func TestNonRootIsToldToUseSudo(t *testing.T) {
	bin := hardenBinary(t)
	sha := strings.Repeat("ab", 32)
	cases := []struct {
		args []string
		ok   bool
		want string
	}{
		{[]string{"plan"}, false, "  sudo harden plan\n"},
		{[]string{"plan", "-root", "/srv/image"}, false, "  sudo harden plan -root /srv/image\n"},
		{[]string{"apply", "-auto-approve"}, false, "  sudo harden apply -auto-approve\n"},
		{[]string{"drift"}, false, "  sudo harden drift\n"},
		{[]string{"rollback"}, false, "  sudo harden rollback\n"},
		{[]string{"rollback", "-pending"}, false, "  sudo harden rollback -pending\n"},
		{[]string{"confirm"}, false, "  sudo harden confirm\n"},
		{[]string{"status"}, false, "  sudo harden status\n"},
		{[]string{"validate", "-profile", "iri-public-node"}, true, "is valid"},
		{[]string{"cloud-init", "-deb-url", "https://example.org/h.deb", "-deb-sha256", sha}, true, "#cloud-config"},
		{[]string{"profiles"}, true, "iri-public-node"},
		{[]string{"version"}, true, "harden "},
		{[]string{"plan", "--help"}, true, "Usage: harden plan"},
		{[]string{"apply", "-h"}, true, "Usage: harden apply"},
	}
	for _, c := range cases {
		cmd := hardenCommand(bin, c.args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if c.ok {
			if err != nil || !strings.Contains(stdout.String(), c.want) {
				t.Errorf("%q as nobody: %v, stdout lacks %q\n%s%s", c.args, err, c.want, stdout.String(), stderr.String())
			}
			continue
		}
		if code := cmd.ProcessState.ExitCode(); code != ExitError ||
			!strings.HasPrefix(stderr.String(), "harden must run as root") || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q as nobody: exit %d; want exit 1, stderr starting \"harden must run as root\" with %q; got:\n%s",
				c.args, code, c.want, stderr.String())
		}
	}
}

// TestSecondSignalExitsAtOnce: an apply stuck in a command that hangs
// (its child keeps the output pipe open, so killing the command does not
// end the wait) cannot see its context; the first signal asks it to stop,
// the second ends it at once with the shell's code for the signal and the
// line that undoes the run, which then works.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	root := stockRoot(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	profile := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A stand-in for an sshd that hangs: nothing else hangs on purpose.
	fake, started := t.TempDir(), filepath.Join(t.TempDir(), "started")
	script := "#!/bin/sh\ntouch " + started + "\nsleep 600 &\nwait\n"
	if err := os.WriteFile(filepath.Join(fake, "sshd"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := hardenCommand(hardenBinary(t), "apply", "-auto-approve", "-root", root, "-profile", profile,
		"-target", "sshd", "-log-level", "error")
	cmd.Env = append(cmd.Env, "PATH="+fake+":"+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the orphaned sleep is killed with the group
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if !appeared(started, exited) {
		t.Fatalf("apply never ran sshd:\n%s", stderr.String())
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		t.Skipf("the first signal ended harden (a killed command no longer hangs it); the second is not needed:\n%s", stderr.String())
	case <-time.After(time.Second):
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("harden ignored SIGINT then SIGTERM while stuck in a command:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d, want %d (128 + SIGTERM)", code, 128+int(syscall.SIGTERM))
	}
	undo := "harden rollback -root " + root
	for _, want := range []string{"harden: SIGINT: stopping; send it again to exit at once",
		"harden: SIGTERM again: exiting at once, before the run finished. The apply may be half done: `" + undo + "` undoes it"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if code, out, errs := run(t, strings.Fields(undo)[1:]...); code != ExitOK {
		t.Errorf("%s: exit %d\n%s%s", undo, code, out, errs)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !bytes.Equal(now, orig) {
		t.Error("sshd_config differs after the cut-short apply was rolled back")
	}
}

// appeared waits until file exists; false if the process ends first.
func appeared(file string, exited chan error) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return false
		default:
		}
		if _, err := os.Stat(file); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
