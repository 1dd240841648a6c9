//go:build root

package cli

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"harden/agent/plan"
)

// harden audit on an image: a fresh one fails (exit 2) and says which
// controls; after harden apply every control passes (exit 0); -json is
// the same report for a program.
func TestRootAuditExitCodesAndJSON(t *testing.T) {
	if _, err := exec.LookPath("sshd"); err != nil {
		t.Skip("sshd not installed (validation under -root needs this machine's sshd)")
	}
	root := stockImageRoot(t)
	args := []string{"-root", root, "-profile", "iri-node", "-target", "sshd", "-log-level", "error"}
	run := func(verb string, extra ...string) (int, string) {
		var out, errw bytes.Buffer
		code := Main(append(append([]string{verb}, args...), extra...), strings.NewReader(""), &out, &errw)
		return code, out.String() + errw.String()
	}
	code, text := run("audit")
	if code != ExitFailedControls {
		t.Fatalf("audit of a fresh image: exit %d, want %d:\n%s", code, ExitFailedControls, text)
	}
	for _, want := range []string{"FAIL", "MaxAuthTries 2 or less", "CIS Debian 12 5.1.16; dev-sec sshd-19", "Audit: "} {
		if !strings.Contains(text, want) {
			t.Errorf("audit text lacks %q:\n%s", want, text)
		}
	}
	code, out := run("audit", "-json")
	var a plan.Audit
	if err := json.Unmarshal([]byte(out), &a); err != nil || code != ExitFailedControls {
		t.Fatalf("audit -json: exit %d, %v:\n%s", code, err, out)
	}
	if a.Summary.Fail == 0 || len(a.Modules) != 1 || a.Modules[0].Name != "sshd" {
		t.Errorf("audit -json summary %+v, modules %d", a.Summary, len(a.Modules))
	}
	if code, text := run("apply", "-auto-approve"); code != ExitOK {
		t.Fatalf("apply: exit %d:\n%s", code, text)
	}
	if code, text := run("audit"); code != ExitOK {
		t.Errorf("audit after apply: exit %d, want 0:\n%s", code, text)
	}
}
