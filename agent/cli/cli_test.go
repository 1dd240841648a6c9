package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/profiles"
)

func call(args ...string) (int, string, string) {
	var out, errw bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errw)
	return code, out.String(), errw.String()
}

func TestEveryVerbHasHelp(t *testing.T) {
	for name := range commands() {
		code, out, _ := call(name, "--help")
		if code != ExitOK || !strings.HasPrefix(out, "Usage: harden "+name) {
			t.Errorf("%s --help: exit %d, stdout %q", name, code, out)
		}
	}
	if code, out, _ := call("--help"); code != ExitOK || !strings.Contains(out, "Commands:") {
		t.Errorf("--help: exit %d", code)
	}
	if code, _, errs := call("plna"); code != ExitError || !strings.Contains(errs, `unknown command "plna"`) {
		t.Errorf("unknown verb: exit %d, %q", code, errs)
	}
}

func TestValidate(t *testing.T) {
	for _, name := range profiles.Names() {
		if code, out, errs := call("validate", "-profile", name); code != ExitOK {
			t.Errorf("built-in %s: exit %d\n%s%s", name, code, out, errs)
		}
	}
	if code, out, errs := call("validate"); code != ExitOK || !strings.Contains(out, "is valid") {
		t.Errorf("validate without flags: exit %d\n%s%s", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	_ = os.WriteFile(bad, []byte("sshd {\n  permit_root_login = \"maybe\"\n}\n"), 0o644)
	code, _, errs := call("validate", "-profile", bad)
	if code != ExitError || !strings.Contains(errs, bad+":2:") || !strings.Contains(errs, "nothing was read or changed") {
		t.Errorf("bad profile: exit %d\n%s", code, errs)
	}
}

func TestProfilesAndVersion(t *testing.T) {
	code, out, _ := call("profiles")
	if code != ExitOK || !strings.Contains(out, "iri-node") || !strings.Contains(out, "iri-public-node") {
		t.Errorf("profiles: %d %q", code, out)
	}
	want, _ := profiles.Get("iri-public-node")
	if code, out, _ := call("profiles", "show", "iri-public-node"); code != ExitOK || out != string(want) {
		t.Errorf("profiles show: exit %d", code)
	}
	if code, _, errs := call("profiles", "show", "nope"); code != ExitError || !strings.Contains(errs, "no built-in profile") {
		t.Errorf("profiles show nope: %d %q", code, errs)
	}
	if code, out, _ := call("version"); code != ExitOK || !strings.HasPrefix(out, "harden ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestApplyJSONNeedsAutoApprove(t *testing.T) {
	code, _, errs := call("apply", "-json", "-root", t.TempDir())
	if code != ExitError || !strings.Contains(errs, "-auto-approve") {
		t.Errorf("exit %d, %q", code, errs)
	}
}
