package host

import (
	"os"
	"path/filepath"
	"testing"
)

// The administrator's copy in /etc wins over the package's; a unit no
// directory holds has no file.
func TestUnitFile(t *testing.T) {
	root := t.TempDir()
	h := New(Options{Root: root})
	if got := h.UnitFile("nftables.service"); got != "" {
		t.Errorf("unit file in an empty root: %q", got)
	}
	for _, dir := range []string{"usr/lib/systemd/system", "etc/systemd/system"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, "nftables.service"), []byte("[Unit]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want := "/" + dir + "/nftables.service"
		if got := h.UnitFile("nftables.service"); got != want {
			t.Errorf("unit file = %q, want %q", got, want)
		}
	}
}
