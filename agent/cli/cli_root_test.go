//go:build root

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stockRoot makes an offline root holding a stock Debian 12 sshd_config,
// a cloud-init drop-in enabling passwords, and a host key.
func stockRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("sshd"); err != nil {
		t.Skip("sshd not installed (apt-get install openssh-server)")
	}
	root := t.TempDir()
	for _, d := range []string{"etc/ssh/sshd_config.d", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, "../../modules/sshd/testdata/debian12_sshd_config", filepath.Join(root, "etc/ssh/sshd_config"))
	copyFile(t, "../../modules/sshd/testdata/50-cloud-init.conf", filepath.Join(root, "etc/ssh/sshd_config.d/50-cloud-init.conf"))
	writeOperator(t, root)
	key := filepath.Join(root, "etc/ssh/ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return root
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errw)
	return code, out.String(), errw.String()
}

func TestPlanApplyRollbackOnARoot(t *testing.T) {
	root := stockRoot(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	profile := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"-root", root, "-profile", profile, "-log-level", "warn"}

	code, out, errs := run(t, append([]string{"plan", "-detailed-exitcode"}, common...)...)
	if code != ExitChanges || !strings.Contains(out, `~ sshd.setting[Port]`) || !strings.Contains(out, `"22" -> "2200"`) {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errs)
	}
	code, applied, errs := run(t, append([]string{"apply", "-auto-approve"}, common...)...)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, applied, errs)
	}
	if code, out, _ = run(t, append([]string{"plan", "-detailed-exitcode"}, common...)...); code != ExitOK {
		t.Fatalf("second plan: exit %d\n%s", code, out)
	}
	check := exec.Command("sshd", "-t", "-f", filepath.Join(root, "etc/ssh/sshd_config"),
		"-h", filepath.Join(root, "etc/ssh/ssh_host_ed25519_key"))
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("applied config does not pass sshd -t: %v: %s", err, out)
	}
	// The undo line apply printed, pasted as it is, undoes the run on
	// the same root (not on this machine).
	undo := undoLine(t, applied)
	if code, out, errs = run(t, undo...); code != ExitOK {
		t.Fatalf("%q: exit %d\n%s\n%s", undo, code, out, errs)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !bytes.Equal(now, orig) {
		t.Errorf("%q did not restore sshd_config byte for byte", undo)
	}
	// Flags after the run id are flags too.
	if code, out, errs = run(t, "rollback", undo[len(undo)-1], "-root", root); code != ExitOK {
		t.Errorf("rollback RUN -root DIR, a second time: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ = run(t, "rollback", "-root", root); code != ExitError {
		t.Errorf("a second rollback without a run id: exit %d, want 1 (nothing applied is left)", code)
	}
}

func TestBadProfileChangesNothing(t *testing.T) {
	root := stockRoot(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	profile := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 70000\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "apply", "-auto-approve", "-root", root, "-profile", profile)
	if code != ExitError || !strings.Contains(errs, profile+":2:10:") {
		t.Fatalf("apply of a bad profile: exit %d, stderr:\n%s\nstdout:\n%s", code, errs, out)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !bytes.Equal(now, orig) {
		t.Error("a bad profile changed sshd_config")
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/harden")); err == nil {
		t.Error("a bad profile created a run")
	}
}

// undoLine is the command after "Undo with: " in apply's output, as words
// without "harden" (the test's paths need no shell quoting).
func undoLine(t *testing.T, out string) []string {
	t.Helper()
	_, line, ok := strings.Cut(out, "Undo with: ")
	line, _, _ = strings.Cut(line, "\n")
	words := strings.Fields(line)
	if !ok || len(words) < 3 || words[0] != "harden" {
		t.Fatalf("apply printed no undo line:\n%s", out)
	}
	return words[1:]
}
