//go:build root

package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// The real plan of a stock Debian sshd_config: coloured on a terminal,
// the same words without colour through a pipe; the sshd_config change is
// one line, and -diff shows it whole.
func TestPlanOnATerminalAndThroughAPipe(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	root := stockRoot(t)
	profile := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"plan", "-root", root, "-profile", profile, "-log-level", "warn"}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	coloured := planThrough(t, tty, ptmx, args)
	if !strings.Contains(coloured, "\x1b[33m~\x1b[0m sshd.setting[Port]") {
		t.Errorf("no yellow update mark on the terminal:\n%s", coloured)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	plain := planThrough(t, w, r, args)
	if strings.Contains(plain, "\x1b") {
		t.Errorf("escape sequences through a pipe:\n%q", plain)
	}
	if sgr.ReplaceAllString(coloured, "") != plain {
		t.Errorf("the terminal and the pipe got different plans:\n%s\n---\n%s", coloured, plain)
	}
	if !strings.Contains(plain, "~ sshd.file[/etc/ssh/sshd_config]  (+") || strings.Contains(plain, "+Port 2200") {
		t.Errorf("sshd_config's change is not summarised in one line:\n%s", plain)
	}
	if !strings.Contains(plain, "`harden plan -diff` shows their diffs") {
		t.Errorf("the plan does not say how to see the diffs:\n%s", plain)
	}

	code, diffed, errs := run(t, append(args, "-diff")...)
	if code != ExitOK || !strings.Contains(diffed, "+Port 2200") || !strings.Contains(diffed, "--- before") {
		t.Errorf("plan -diff: exit %d, no diff of sshd_config:\n%s\n%s", code, diffed, errs)
	}
}

// planThrough runs harden with stdout on out and returns what arrived at
// the other end.
func planThrough(t *testing.T, out *os.File, read io.Reader, args []string) string {
	t.Helper()
	return through(t, out, read, func() {
		var errw bytes.Buffer
		if code := Main(args, strings.NewReader(""), out, &errw); code != ExitOK {
			t.Errorf("%v: exit %d\n%s", args, code, errw.String())
		}
	})
}

// harden drift shows what differs with its values: on stdout, in the
// record `harden status` reads, and in the stderr line the timer logs.
func TestDriftShowsValues(t *testing.T) {
	root := stockRoot(t)
	profile := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"-root", root, "-profile", profile, "-log-level", "warn"}
	if code, out, errs := run(t, append([]string{"apply", "-auto-approve"}, common...)...); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	config := filepath.Join(root, "etc/ssh/sshd_config")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	// Someone puts root login back, above harden's block: sshd takes it.
	if err := os.WriteFile(config, append([]byte("PermitRootLogin yes\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, append([]string{"drift"}, common...)...)
	if code != ExitChanges {
		t.Fatalf("drift: exit %d, want 2\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Drift: the machine no longer matches") ||
		!regexp.MustCompile(`~ sshd\.setting\[PermitRootLogin\] +"yes" -> "no"`).MatchString(out) {
		t.Errorf("drift does not show the value that drifted:\n%s", out)
	}
	if !strings.Contains(errs, `sshd.setting[PermitRootLogin]: "yes" -> "no"`) {
		t.Errorf("drift's log line lacks the values:\n%s", errs)
	}
	_, status, _ := run(t, "status", "-root", root)
	if !strings.Contains(status, "DRIFT at sshd.setting[PermitRootLogin]") ||
		!strings.Contains(status, `  ~ sshd.setting[PermitRootLogin]: "yes" -> "no"`) {
		t.Errorf("status does not show the drift with its values:\n%s", status)
	}
}
