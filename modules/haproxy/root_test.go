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
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "haproxy.cfg")
			if err := os.WriteFile(path, []byte(Render(decodeVariant(t, v).Settings())), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput()
			if err != nil {
				t.Fatalf("haproxy -c: %v\n%s", err, out)
			}
			if strings.Contains(string(out), "[WARNING]") || !strings.Contains(string(out), "Configuration file is valid") {
				t.Errorf("haproxy -c:\n%s", out)
			}
		})
	}
}
