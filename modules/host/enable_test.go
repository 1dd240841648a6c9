package host

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Enabling a unit in an image makes its .wants directory (and
// /etc/systemd/system, if the image has none); undoing the run takes them
// away again, as it takes the link away.
func TestUndoOfAnOfflineEnableRemovesTheDirectoriesItMade(t *testing.T) {
	root := t.TempDir()
	unit := filepath.Join(root, "lib/systemd/system/nftables.service")
	if err := os.MkdirAll(filepath.Dir(unit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unit, []byte("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=sysinit.target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Root: root})
	j, err := CreateJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.Attach(j)
	ctx := context.Background()
	if err := h.SetEnabled(ctx, "nftables.service", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/sysinit.target.wants/nftables.service")); err != nil {
		t.Fatalf("not enabled: %v", err)
	}
	if err := h.Undo(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc")); err == nil {
		entries, _ := filepath.Glob(filepath.Join(root, "etc/*/*/*"))
		t.Errorf("undo left /etc behind (the enable made it): %v", entries)
	}
}
