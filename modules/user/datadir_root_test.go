//go:build root

package user

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"harden/modules/host/hosttest"
)

// The node's data directory is a symlink to a volume (/var/lib/hardeniri ->
// /srv/volume/hardeniri). harden follows it consistently: the volume's
// directory gets the owner and mode, the link stays, and the plan after the
// apply is empty. Under -root an absolute link means the image's own /srv,
// never the build machine's.
func TestRootSymlinkedDataDir(t *testing.T) {
	for name, target := range map[string]string{
		"relative link": "../../srv/volume/hardeniri",
		"absolute link": "/srv/volume/hardeniri",
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			root := seededRoot(t)
			volume := filepath.Join(root, "srv/volume/hardeniri")
			if err := os.MkdirAll(volume, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(root, "var/lib"), 0o755); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(root, "var/lib/hardeniri")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			h, _ := hosttest.NewAt(t, root)
			m := decode(t, "user \"hardeniri\" {}")
			st, err := m.Read(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Plan(st)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Apply(ctx, h, p); err != nil {
				t.Fatal(err)
			}
			st, err = m.Read(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if p2, err := m.Plan(st); err != nil || !p2.Empty() {
				t.Fatalf("plan after apply not empty (inconsistent result) %v: %+v", err, p2.Changes)
			}
			u, _ := readDB(t, h).User("hardeniri")
			fi, err := os.Stat(volume)
			if err != nil {
				t.Fatal(err)
			}
			if s := fi.Sys().(*syscall.Stat_t); int(s.Uid) != u.UID || fi.Mode().Perm() != 0o750 {
				t.Errorf("volume dir %v %d, want 0750 owned by %d", fi.Mode(), s.Uid, u.UID)
			}
			if got, err := os.Readlink(link); err != nil || got != target {
				t.Errorf("the link changed: %q %v", got, err)
			}
			if err := h.Undo(ctx, h.Journal(), undoer(h)); err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(volume); fi.Sys().(*syscall.Stat_t).Uid != 0 || fi.Mode().Perm() != 0o755 {
				t.Errorf("undo left the volume dir %v", fi.Mode())
			}
		})
	}
}
