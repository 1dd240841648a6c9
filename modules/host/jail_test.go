package host_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// A hostile image: every way its files could send harden's reads and
// writes out of the root. Each case builds the image, runs every Host file
// operation on the path that leads out, and checks that nothing outside
// changed and that nothing outside was read.

const secret = "the build host's secret\n"

// outsideDir stands for the build host's own files: a directory next to the
// root holding a root-readable 0600 file and an empty directory.
func outsideDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tree lists a directory's entries with their type, mode and bytes.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.Mode().String() + "\n")
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// climb is a relative symlink target that leaves root for abs.
func climb(root, abs string) string {
	return strings.Repeat("../", strings.Count(root, "/")+4) + strings.TrimPrefix(abs, "/")
}

func TestHostileImage(t *testing.T) {
	forEachResolver(t, func(t *testing.T) {
		for _, tc := range []struct {
			name string
			// image builds the hostile root; dir is the system path
			// whose entries lead to outside.
			image func(t *testing.T, root, outside string)
			dir   string
		}{
			{"absolute symlinked parent", func(t *testing.T, root, outside string) {
				symlink(t, outside, filepath.Join(root, "etc/ssh"))
			}, "/etc/ssh"},
			{"relative symlinked parent", func(t *testing.T, root, outside string) {
				symlink(t, climb(root, outside), filepath.Join(root, "etc/ssh"))
			}, "/etc/ssh"},
			{"symlink deeper in the path", func(t *testing.T, root, outside string) {
				symlink(t, "/", filepath.Join(root, "var/lib/escape"))
			}, "/var/lib/escape/OUTSIDE"},
			{"dot-dot in the path", func(t *testing.T, root, outside string) {}, "/../../../../../../../OUTSIDE"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				root, outside := t.TempDir(), outsideDir(t)
				tc.image(t, root, outside)
				dir := strings.ReplaceAll(tc.dir, "/OUTSIDE", outside)
				before := tree(t, outside)
				h, _ := hosttest.NewAt(t, root)
				escapeAttempts(t, h, dir)
				if after := tree(t, outside); after != before {
					t.Errorf("the build host's files changed:\n%s\nwant:\n%s", after, before)
				}
				if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
					t.Logf("undo: %v", err)
				}
				if after := tree(t, outside); after != before {
					t.Errorf("the undo changed the build host's files:\n%s\nwant:\n%s", after, before)
				}
			})
		}
	})
}

// escapeAttempts runs every file operation on dir's entries; a read must
// not see the outside's secret, a change must fail or stay in the root.
func escapeAttempts(t *testing.T, h *host.Host, dir string) {
	t.Helper()
	if data, err := h.ReadFile(dir + "/secret"); err == nil || bytes.Contains(data, []byte(secret)) {
		t.Errorf("ReadFile read outside the root: %q %v", data, err)
	}
	if _, err := h.Stat(dir + "/secret"); err == nil {
		t.Error("Stat saw a file outside the root")
	}
	if _, err := h.Meta(dir + "/secret"); err == nil {
		t.Error("Meta saw a file outside the root")
	}
	if h.Exists(dir + "/secret") {
		t.Error("Exists saw a file outside the root")
	}
	if m, _ := h.Glob(dir + "/*"); len(m) > 0 {
		t.Errorf("Glob listed outside the root: %v", m)
	}
	// Changes: an error is fine, the tree comparison tells the rest.
	_ = h.Chown(dir+"/secret", host.FileMeta{Mode: 0o666})
	_ = h.WriteFile(dir+"/secret", []byte("overwritten\n"), &host.FileMeta{Mode: 0o666})
	_ = h.WriteFile(dir+"/planted", []byte("planted\n"), nil)
	_ = h.MkdirAll(dir+"/newdir", host.FileMeta{Mode: 0o777})
	_ = h.RemoveFile(dir + "/secret")
}

// A symlink as the file itself: reading it in the image follows it inside
// the image; writing replaces the link, never its target.
func TestHostileFinalSymlink(t *testing.T) {
	forEachResolver(t, func(t *testing.T) {
		root, outside := t.TempDir(), outsideDir(t)
		symlink(t, filepath.Join(outside, "secret"), filepath.Join(root, "etc/ssh/sshd_config"))
		before := tree(t, outside)
		h, _ := hosttest.NewAt(t, root)
		if data, err := h.ReadFile("/etc/ssh/sshd_config"); err == nil || bytes.Contains(data, []byte(secret)) {
			t.Errorf("ReadFile followed the link out: %q %v", data, err)
		}
		if m, err := h.Meta("/etc/ssh/sshd_config"); err == nil {
			t.Errorf("Meta followed the link out: %+v", m)
		}
		_ = h.Chown("/etc/ssh/sshd_config", host.FileMeta{Mode: 0o666})
		_ = h.WriteFile("/etc/ssh/sshd_config", []byte("Port 2222\n"), &host.FileMeta{Mode: 0o666})
		if after := tree(t, outside); after != before {
			t.Errorf("the build host's files changed:\n%s\nwant:\n%s", after, before)
		}
	})
}

// The image's /etc/ssh points at the machine's own /etc: harden reads the
// image's /etc/hostname (here: none), never the build host's.
func TestHostileLinkToHostEtc(t *testing.T) {
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil || len(bytes.TrimSpace(hostname)) == 0 {
		t.Skip("no /etc/hostname on this machine")
	}
	forEachResolver(t, func(t *testing.T) {
		root := t.TempDir()
		symlink(t, "/etc", filepath.Join(root, "etc/ssh"))
		h, _ := hosttest.NewAt(t, root)
		if data, err := h.ReadFile("/etc/ssh/hostname"); err == nil {
			t.Errorf("read the build host's /etc/hostname through the image: %q", data)
		}
		if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("image\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if data, err := h.ReadFile("/etc/ssh/hostname"); err != nil || string(data) != "image\n" {
			t.Errorf("the link resolves inside the image: got %q %v, want the image's hostname", data, err)
		}
	})
}

// Planned on a plain directory, applied after the image swapped the
// directory for a link out: the write still lands inside the root.
func TestHostileSwapBetweenPlanAndApply(t *testing.T) {
	forEachResolver(t, func(t *testing.T) {
		root, outside := t.TempDir(), outsideDir(t)
		cfg := filepath.Join(root, "etc/ssh/sshd_config")
		if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte("Port 22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		h, _ := hosttest.NewAt(t, root)
		if _, err := h.ReadFile("/etc/ssh/sshd_config"); err != nil { // the plan's read
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(root, "etc/ssh"), filepath.Join(root, "etc/ssh.moved")); err != nil {
			t.Fatal(err)
		}
		symlink(t, outside, filepath.Join(root, "etc/ssh"))
		before := tree(t, outside)
		_ = h.WriteFile("/etc/ssh/sshd_config", []byte("Port 2222\n"), nil)
		if after := tree(t, outside); after != before {
			t.Errorf("the apply wrote outside the root:\n%s\nwant:\n%s", after, before)
		}
	})
}

// A run journal crafted inside the image: paths that climb out with "..",
// backup names that point at the build host's files, a backup that is a
// link out. Rolling it back changes nothing outside the root and copies
// nothing from outside into the image.
func TestHostileJournal(t *testing.T) {
	forEachResolver(t, func(t *testing.T) {
		root, outside := t.TempDir(), outsideDir(t)
		up := strings.Repeat("/..", strings.Count(root, "/")+4)
		run := filepath.Join(root, "var/lib/harden/runs/crafted")
		for _, d := range []string{filepath.Join(run, "files"), filepath.Join(root, "etc")} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		symlink(t, filepath.Join(outside, "secret"), filepath.Join(run, "files/2"))
		if err := os.WriteFile(filepath.Join(run, "files/1"), []byte("from the image\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		lines := []string{ // undone last line first
			`{"kind":"file","path":"` + up + outside + `/secret","existed":false}`,
			`{"kind":"file","path":"` + up + outside + `/planted","existed":true,"backup":"1","meta":{"mode":438}}`,
			`{"kind":"file","path":"/etc/stolen","existed":true,"backup":"` + climb(filepath.Join(run, "files"), outside) + `/secret","meta":{"mode":420}}`,
			`{"kind":"file","path":"/etc/linked","existed":true,"backup":"2","meta":{"mode":420}}`,
			`{"kind":"dir","path":"` + up + outside + `/empty"}`,
			`{"kind":"meta","path":"` + up + outside + `/secret","meta":{"mode":438}}`,
		}
		if err := os.WriteFile(filepath.Join(run, "journal.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := tree(t, outside)
		h, _ := hosttest.NewAt(t, root)
		if j, err := host.OpenJournal(run); err != nil {
			t.Logf("journal refused: %v", err)
		} else if err := h.Undo(context.Background(), j, nil); err != nil {
			t.Logf("undo: %v", err)
		}
		if after := tree(t, outside); after != before {
			t.Errorf("rollback changed the build host's files:\n%s\nwant:\n%s", after, before)
		}
		if image := tree(t, root); strings.Contains(image, secret) {
			t.Errorf("rollback copied the build host's file into the image:\n%s", image)
		}
	})
}

// forEachResolver runs f with each way of resolving paths in the root (the
// kernel's openat2 and the walk used where the kernel lacks it).
func forEachResolver(t *testing.T, f func(t *testing.T)) {
	for _, r := range host.Resolvers {
		t.Run(r, func(t *testing.T) {
			defer host.UseResolver(r)()
			f(t)
		})
	}
}
