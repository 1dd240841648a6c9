//go:build root

package host_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// The node's user owns its data directory, and harden writes the node's
// config there. That user (a real process with uid 999) swaps a symlink to a
// root-owned 0600 file in for every temp file harden creates, as fast as it
// can, while harden writes and rolls back the config. The target must come
// out untouched: harden never acts by path inside a directory another user
// can write.

const attackerUID = 999

// TestAttackerProcess is the attacker when started by TestUserSwapsSymlinks;
// alone it does nothing.
func TestAttackerProcess(t *testing.T) {
	dir, target := os.Getenv("HARDEN_ATTACK_DIR"), os.Getenv("HARDEN_ATTACK_TARGET")
	if dir == "" {
		t.Skip("started by TestUserSwapsSymlinks")
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), ".harden-") && e.Type().IsRegular() {
				tmp := filepath.Join(dir, e.Name())
				_ = os.Remove(tmp)
				_ = os.Symlink(target, tmp)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
	}
}

func TestUserSwapsSymlinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root tier: needs root to run the attacker as another user")
	}
	root := t.TempDir()
	// The attacker must reach its directory: open the temp dirs' modes.
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(root, "var/lib/iri")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, attackerUID, attackerUID); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(root, "shadow")
	if err := os.WriteFile(target, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The test binary lives in a directory only root can enter: a copy.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "attacker")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	attacker := exec.Command(bin, "-test.run=^TestAttackerProcess$")
	attacker.Env = append(os.Environ(), "HARDEN_ATTACK_DIR="+data, "HARDEN_ATTACK_TARGET="+target)
	attacker.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: attackerUID, Gid: attackerUID}}
	out := &strings.Builder{}
	attacker.Stdout, attacker.Stderr = out, out
	if err := attacker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = os.WriteFile(filepath.Join(data, "stop"), nil, 0o644)
		if err := attacker.Wait(); err != nil {
			t.Errorf("attacker: %v\n%s", err, out)
		}
	}()

	ini := "/var/lib/iri/iri.ini"
	meta := &host.FileMeta{Mode: 0o666, UID: attackerUID, GID: attackerUID} // the mode the user chose
	won := 0                                                                // how often the swapped link ended up in the config's place
	for i, deadline := 0, time.Now().Add(5*time.Second); i < 100 && time.Now().Before(deadline); i++ {
		h, _ := hosttest.NewAt(t, root)
		_ = os.Remove(filepath.Join(data, "iri.ini")) // never write through the user's link
		if err := os.WriteFile(filepath.Join(data, "iri.ini"), []byte("[IRI]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = h.WriteFile(ini, []byte("[IRI]\nPORT = 14265\n"), meta)
		if fi, err := os.Lstat(filepath.Join(data, "iri.ini")); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			won++
		}
		_ = h.Undo(context.Background(), h.Journal(), nil) // rollback's write path
		fi, err := os.Lstat(target)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != 0o600 || st.Uid != 0 || st.Gid != 0 {
			t.Fatalf("after %d writes the user made harden change %s to %v %d:%d", i+1, target, fi.Mode(), st.Uid, st.Gid)
		}
		if data, _ := os.ReadFile(target); string(data) != "root:secret\n" {
			t.Fatalf("after %d writes the user made harden write %s: %q", i+1, target, data)
		}
	}
	t.Logf("the user's link took the config's place %d times; the target stayed untouched", won)
}

// A link the node's user left in its own directory is not followed for a
// change, even when it points at a place inside the root: the user could
// aim it anywhere. Root's own links (a data directory on a volume) are.
func TestChangesDoNotFollowAUsersLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root tier: needs root to give a directory to another user")
	}
	root := t.TempDir()
	data := filepath.Join(root, "var/lib/iri")
	for _, d := range []string{data, filepath.Join(root, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(data, attackerUID, attackerUID); err != nil {
		t.Fatal(err)
	}
	shadow := filepath.Join(root, "etc/shadow")
	if err := os.WriteFile(shadow, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"conf": "/etc", "iri.ini": "/etc/shadow"} {
		if err := os.Symlink(target, filepath.Join(data, link)); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(filepath.Join(data, link), attackerUID, attackerUID); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := hosttest.NewAt(t, root)
	if err := h.WriteFile("/var/lib/iri/conf/shadow", []byte("owned\n"), nil); err == nil ||
		!strings.Contains(err.Error(), "refusing to follow the symlink conf") {
		t.Errorf("write through the user's directory link: %v, want a refusal", err)
	}
	if err := h.Chown("/var/lib/iri/iri.ini", host.FileMeta{Mode: 0o666, UID: attackerUID}); err == nil {
		t.Error("chown through the user's file link succeeded")
	}
	if err := h.WriteFile("/var/lib/iri/iri.ini", []byte("[IRI]\n"), nil); err == nil {
		t.Error("a write over the user's link took the link's target's place silently")
	}
	fi, _ := os.Stat(shadow)
	if data, _ := os.ReadFile(shadow); string(data) != "root:secret\n" || fi.Mode().Perm() != 0o600 ||
		fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("the root-owned file changed: %q %v", data, fi.Mode())
	}
}
