//go:build root

package haproxy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHAProxyAcceptsEveryVariant runs the real `haproxy -c` on every
// rendered variant; a warning counts as a failure too (a rule HAProxy would
// reorder behind our back, say).
func TestHAProxyAcceptsEveryVariant(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { haproxyAccepts(t, Render(decodeVariant(t, v).Settings())) })
	}
}

// TestHAProxyAcceptsEveryAddressForm: each form of node and log the profile
// accepts is one HAProxy reads.
func TestHAProxyAcceptsEveryAddressForm(t *testing.T) {
	for _, form := range []string{
		`node = "[::1]:14265"`, `node = "localhost:14265"`, `node = "127.0.0.1:1"`,
		`log = "stderr"`, `log = "/dev/log"`, `log = "127.0.0.1"`, `log = "127.0.0.1:514"`, `log = "[::1]:514"`, `log = "localhost:514"`,
	} {
		t.Run(form, func(t *testing.T) {
			haproxyAccepts(t, Render(decodeVariant(t, variant{name: form, src: "haproxy {\n  " + form + "\n}"}).Settings()))
		})
	}
}

// haproxyAccepts runs `haproxy -c` on cfg and fails on an error or warning.
func haproxyAccepts(t *testing.T, cfg string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "[WARNING]") || !strings.Contains(string(out), "Configuration file is valid") {
		t.Errorf("haproxy -c:\n%s", out)
	}
}
