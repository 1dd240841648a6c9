package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// runJSON runs harden and decodes its stdout as exactly one JSON document.
func runJSON(t *testing.T, args ...string) (int, map[string]any, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errw)
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%v: stdout is not a JSON document: %v\nstdout:\n%s\nstderr:\n%s", args, err, out.String(), errw.String())
	}
	if dec.More() {
		t.Fatalf("%v: more than one document on stdout:\n%s", args, out.String())
	}
	return code, doc, out.String()
}

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// validate -json answers in terraform validate's shape, a diagnostic with
// its file, line and column; lists are [] when empty, never null.
func TestValidateJSONHasTerraformsShape(t *testing.T) {
	bad := writeProfile(t, "sshd {\n  port = 70000\n}\n")
	code, doc, raw := runJSON(t, "validate", "-json", "-profile", bad)
	if code != ExitError || doc["valid"] != false || doc["error_count"] != 1.0 || doc["warning_count"] != 0.0 {
		t.Fatalf("exit %d, document:\n%s", code, raw)
	}
	diags := doc["diagnostics"].([]any)
	d := diags[0].(map[string]any)
	r := d["range"].(map[string]any)
	start := r["start"].(map[string]any)
	if d["severity"] != "error" || r["filename"] != bad || start["line"] != 2.0 || start["column"] != 10.0 || d["detail"] == "" {
		t.Errorf("diagnostic without its place:\n%s", raw)
	}

	good := writeProfile(t, "sshd {\n  port = 2200\n}\n")
	code, doc, raw = runJSON(t, "validate", "-json", "-profile", good)
	if code != ExitOK || doc["valid"] != true || doc["error_count"] != 0.0 || !strings.Contains(raw, `"diagnostics": []`) {
		t.Errorf("exit %d, document:\n%s", code, raw)
	}

	code, doc, raw = runJSON(t, "validate", "-json", "-profile", filepath.Join(t.TempDir(), "missing.hcl"))
	diags = doc["diagnostics"].([]any)
	if code != ExitError || doc["valid"] != false || doc["error_count"] != 1.0 || len(diags) != 1 {
		t.Errorf("a missing profile: exit %d, document:\n%s", code, raw)
	}
}

// Every verb asked for -json answers with a JSON document when it fails,
// whatever stops it: a flag, a stray word, a profile, root.
func TestJSONFailureIsADocument(t *testing.T) {
	bad := writeProfile(t, "sshd {\n  port = 70000\n}\n")
	root := t.TempDir()
	for _, tt := range []struct {
		args  []string
		error string
		diags bool
	}{
		{args: []string{"validate", "-json", "-bogus"}, error: "unknown flag -bogus"},
		{args: []string{"validate", "stray", "-json"}, error: `unexpected argument "stray"`},
		{args: []string{"cloud-init", "-json", "-profile", bad}, error: "is not valid", diags: true},
		{args: []string{"plan", "-json", "-root", root, "-profile", bad}, error: "is not valid", diags: true},
		{args: []string{"drift", "-json", "-root", root, "-profile", bad}, error: "is not valid", diags: true},
	} {
		if os.Geteuid() != 0 && tt.args[0] != "validate" && tt.args[0] != "cloud-init" {
			tt.error, tt.diags = "must run as root", false
		}
		code, doc, raw := runJSON(t, tt.args...)
		if code != ExitError || doc["format_version"] != "1.0" || doc["command"] != tt.args[0] ||
			!strings.Contains(doc["error"].(string), tt.error) {
			t.Errorf("%v: exit %d, document:\n%s", tt.args, code, raw)
		}
		diags, ok := doc["diagnostics"].([]any)
		if !ok || (len(diags) > 0) != tt.diags {
			t.Errorf("%v: diagnostics %v, want some: %v", tt.args, doc["diagnostics"], tt.diags)
		}
	}
}

// cloud-init -json answers with JSON too: the user-data as a string.
func TestCloudInitJSON(t *testing.T) {
	code, doc, raw := runJSON(t, "cloud-init", "-json", "-profile", "iri-node", "-deb-url", "https://example.org/h.deb",
		"-deb-sha256", strings.Repeat("ab", 32))
	if code != ExitOK || doc["profile"] != "builtin:iri-node" || !strings.HasPrefix(doc["user_data"].(string), "#cloud-config") {
		t.Errorf("exit %d, document:\n%s", code, raw)
	}
}

// -log-format json makes every log line a JSON object; every verb that
// logs takes the flag.
func TestLogFormatJSON(t *testing.T) {
	var buf bytes.Buffer
	log, err := logFlags{level: "debug", format: "json"}.logger(zapcore.AddSync(&buf))
	if err != nil {
		t.Fatal(err)
	}
	log.Info("unit job done", zap.String("unit", "ssh.service"))
	log.Debug("exec", zap.Strings("args", []string{"-T"}))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil || obj["level"] == nil || obj["msg"] == nil || obj["ts"] == nil {
			t.Errorf("log line is not a JSON object with level, msg and ts: %q", line)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], `"unit":"ssh.service"`) {
		t.Errorf("log lines:\n%s", buf.String())
	}
	if _, err := (logFlags{level: "info", format: "xml"}).logger(zapcore.AddSync(&buf)); err == nil || !strings.Contains(err.Error(), "-log-format") {
		t.Errorf("-log-format xml: %v", err)
	}
	for verb := range commands() {
		var out, errw bytes.Buffer
		Main([]string{verb, "--help"}, strings.NewReader(""), &out, &errw)
		if strings.Contains(out.String(), "-log-level") && !strings.Contains(out.String(), "-log-format") {
			t.Errorf("%s takes -log-level but not -log-format", verb)
		}
	}
}

// Every verb takes -json; those that need nothing of the machine answer
// with a document.
func TestEveryVerbSpeaksJSON(t *testing.T) {
	for verb := range commands() {
		var out, errw bytes.Buffer
		Main([]string{verb, "--help"}, strings.NewReader(""), &out, &errw)
		if !strings.Contains(out.String(), "-json") {
			t.Errorf("harden %s has no -json", verb)
		}
	}
	for _, args := range [][]string{{"version", "-json"}, {"profiles", "-json"}, {"profiles", "show", "iri-node", "-json"}} {
		code, doc, raw := runJSON(t, args...)
		if code != ExitOK || doc["format_version"] == nil && doc["name"] == nil {
			t.Errorf("%v: exit %d\n%s", args, code, raw)
		}
	}
	_, doc, raw := runJSON(t, "profiles", "-json")
	if list, _ := doc["profiles"].([]any); len(list) < 2 {
		t.Errorf("profiles -json lists %d profiles:\n%s", len(list), raw)
	}
}
