package cli

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"harden/agent/plan"
	"harden/modules/module"
)

// viewPlan has a change of every colour.
func viewPlan() *plan.Plan {
	return plan.New("1", "builtin:iri-node", "/", []plan.Module{{Name: "sshd", Plan: module.Plan{
		Changes: []module.Change{
			{Address: "sshd.setting[Port]", Action: module.Update, Fields: []module.Field{{Name: "Port", Before: "22", After: "2222"}}},
			{Address: "sshd.setting[Banner]", Action: module.Delete, Fields: []module.Field{{Name: "Banner", Before: "/etc/issue.net", AfterUnset: true}}},
			{Address: "sshd.file[/etc/ssh/sshd_config.d/harden.conf]", Action: module.Create, After: "Port 2222\n"},
		},
		Warnings: []string{"a warning long enough to be wrapped on a narrow terminal, which it is when the terminal has eighty columns"},
	}}})
}

// showOn shows the plan through the view a verb builds for out, with the
// flags given, and returns what reached the other end.
func showOn(t *testing.T, out *os.File, read io.Reader, asJSON bool, flags viewFlags) string {
	t.Helper()
	return through(t, out, read, func() {
		if err := newPlanView(IO{Out: out}, asJSON, flags, "harden plan -diff").show(viewPlan()); err != nil {
			t.Error(err)
		}
	})
}

// through runs write, which writes to out, closes out and returns what
// arrived at read, the other end (a pipe's, or a terminal's: its line
// discipline turns \n into \r\n, turned back here).
func through(t *testing.T, out *os.File, read io.Reader, write func()) string {
	t.Helper()
	done := make(chan string)
	go func() {
		var buf bytes.Buffer
		io.Copy(&buf, read)
		done <- buf.String()
	}()
	write()
	out.Close()
	return strings.ReplaceAll(<-done, "\r\n", "\n")
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// On a terminal the plan is coloured (green create, yellow update, red
// delete) and wrapped to the terminal's width; through a pipe the same
// words arrive without a single escape sequence and unwrapped.
func TestPlanColouredOnATerminalPlainThroughAPipe(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	coloured := showOn(t, tty, ptmx, false, viewFlags{})
	for _, want := range []string{
		"\x1b[32m+\x1b[0m sshd.file[/etc/ssh/sshd_config.d/harden.conf]",
		"\x1b[33m~\x1b[0m sshd.setting[Port]",
		"\x1b[31m-\x1b[0m sshd.setting[Banner]",
		"Symbols: \x1b[32m+\x1b[0m create, \x1b[33m~\x1b[0m update in place, \x1b[31m-\x1b[0m delete",
	} {
		if !strings.Contains(coloured, want) {
			t.Errorf("the terminal did not get %q:\n%s", want, coloured)
		}
	}
	for _, l := range strings.Split(sgr.ReplaceAllString(coloured, ""), "\n") {
		if len(l) > 80 {
			t.Errorf("a line wider than the terminal's 80 columns: %q", l)
		}
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	plain := showOn(t, w, r, false, viewFlags{})
	if strings.Contains(plain, "\x1b") {
		t.Errorf("escape sequences through a pipe:\n%q", plain)
	}
	if !strings.Contains(plain, "- sshd: a warning long enough to be wrapped on a narrow terminal, which it is when") {
		t.Errorf("the warning is wrapped through a pipe:\n%s", plain)
	}
	unwrap := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if unwrap(sgr.ReplaceAllString(coloured, "")) != unwrap(plain) {
		t.Errorf("the terminal and the pipe got different words:\n%s\n---\n%s", coloured, plain)
	}
}

// -no-color, NO_COLOR and TERM=dumb turn colour off on a terminal, and
// -json is never coloured.
func TestNoColourWhenAskedOrJSON(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    map[string]string
		flags  viewFlags
		asJSON bool
	}{
		{name: "-no-color", flags: viewFlags{noColor: true}},
		{name: "NO_COLOR", env: map[string]string{"NO_COLOR": "1"}},
		{name: "TERM=dumb", env: map[string]string{"TERM": "dumb"}},
		{name: "-json", asJSON: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", "")
			t.Setenv("TERM", "xterm")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			defer ptmx.Close()
			got := showOn(t, tty, ptmx, tt.asJSON, tt.flags)
			if strings.Contains(got, "\x1b") {
				t.Errorf("escape sequences on the terminal:\n%q", got)
			}
			if !strings.Contains(got, "sshd.setting[Port]") {
				t.Errorf("the plan did not arrive:\n%s", got)
			}
		})
	}
}
