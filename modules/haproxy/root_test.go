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

// haproxyAccepts runs `haproxy -c` on cfg and fails on an error or warning:
// the host's haproxy, and also the one in the Debian root named by
// HARDEN_TEST_HAPROXY_ROOT (say a Debian 13 tree with its haproxy 3.0
// package installed, while the host runs Debian 12's 2.6), run there with
// chroot.
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
	checkOutput(t, "haproxy -c", exec.Command(bin, "-c", "-f", path))
	if root := os.Getenv("HARDEN_TEST_HAPROXY_ROOT"); root != "" {
		dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "haproxy-check-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		inRoot := "/" + filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir), "haproxy.cfg")
		checkOutput(t, "haproxy -c in "+root, exec.Command("chroot", root, "/usr/sbin/haproxy", "-c", "-f", inRoot))
	}
}

func checkOutput(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	// 2.6 says "Configuration file is valid", 3.0 says nothing: the exit
	// status and the absence of warnings are what both share.
	if strings.Contains(string(out), "[WARNING]") || strings.Contains(string(out), "[ALERT]") {
		t.Errorf("%s:\n%s", what, out)
	}
}
