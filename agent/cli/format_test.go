package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const unformatted = "sshd {\nport=2200\n  password_authentication   = false\n}\n"
const formatted = "sshd {\n  port                    = 2200\n  password_authentication = false\n}\n"

func profileFile(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func fmtCall(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errw)
	return code, out.String(), errw.String()
}

// fmt rewrites a profile in the canonical layout, in place, keeping its
// mode, and names the files it changed; a formatted file stays as it is.
func TestFmtRewritesInPlace(t *testing.T) {
	path := profileFile(t, unformatted, 0o640)
	code, out, errs := fmtCall(t, "", "fmt", path)
	got, _ := os.ReadFile(path)
	info, _ := os.Stat(path)
	if code != ExitOK || string(got) != formatted || out != path+"\n" || info.Mode().Perm() != 0o640 {
		t.Errorf("exit %d, out %q, mode %v, file:\n%s\n%s", code, out, info.Mode(), got, errs)
	}
	if code, out, _ = fmtCall(t, "", "fmt", path); code != ExitOK || out != "" {
		t.Errorf("a formatted file: exit %d, out %q", code, out)
	}
}

// -check changes nothing and exits 3 for a file that is not formatted;
// -diff shows the change; "-" formats standard input to standard output.
func TestFmtCheckDiffStdin(t *testing.T) {
	path := profileFile(t, unformatted, 0o644)
	code, out, _ := fmtCall(t, "", "fmt", "-check", "-diff", path)
	got, _ := os.ReadFile(path)
	if code != exitUnformatted || string(got) != unformatted || !strings.Contains(out, "+  port                    = 2200") {
		t.Errorf("-check -diff: exit %d, file changed: %v\n%s", code, string(got) != unformatted, out)
	}
	if code, out, _ = fmtCall(t, unformatted, "fmt", "-"); code != ExitOK || out != formatted {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
	code, doc, raw := runJSON(t, "fmt", "-check", "-json", path)
	files, _ := doc["files"].([]any)
	if code != exitUnformatted || len(files) != 1 || files[0].(map[string]any)["changed"] != true {
		t.Errorf("-json: exit %d\n%s", code, raw)
	}
}

// A profile that does not parse is left alone and reported with its place.
func TestFmtRefusesWhatDoesNotParse(t *testing.T) {
	path := profileFile(t, "sshd {\n  port = \n}\n", 0o644)
	code, _, errs := fmtCall(t, "", "fmt", path)
	got, _ := os.ReadFile(path)
	if code != ExitError || !strings.Contains(errs, path+":2:") || string(got) != "sshd {\n  port = \n}\n" {
		t.Errorf("exit %d, file %q\n%s", code, got, errs)
	}
}

// The built-in profiles are in the canonical layout.
func TestBuiltinProfilesAreFormatted(t *testing.T) {
	files, _ := filepath.Glob("../../profiles/*.hcl")
	if len(files) == 0 {
		t.Fatal("no built-in profiles found")
	}
	code, out, errs := fmtCall(t, "", append([]string{"fmt", "-check", "-diff"}, files...)...)
	if code != ExitOK {
		t.Errorf("built-in profiles need formatting (harden fmt profiles/*.hcl): exit %d\n%s%s", code, out, errs)
	}
}
