//go:build root

package user

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/internal/accounts"
)

// seededRoot is a temp root holding copies of this machine's account
// databases and login.defs, which useradd --root reads and rewrites.
func seededRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("root tier: run as root (useradd --root chroots)")
	}
	for _, bin := range []string{"useradd", "usermod", "groupadd", "userdel", "groupdel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("root tier: %s missing (apt-get install passwd)", bin)
		}
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"passwd", "group", "shadow", "gshadow", "login.defs"} {
		src := filepath.Join("/etc", f)
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		fi, _ := os.Stat(src)
		if err := os.WriteFile(filepath.Join(root, "etc", f), data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
		data, err := os.ReadFile(filepath.Join(root, "etc", f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(data)
	}
	return out
}

// undoer hands custom steps to a module fresh from the Factory, as a later
// `harden rollback` would.
func undoer(h *host.Host) host.CustomUndo {
	return func(ctx context.Context, s host.Step) error {
		return Factory.New().(*Module).Undo(ctx, h, s.Data)
	}
}

func readDB(t *testing.T, h *host.Host) *accounts.DB {
	t.Helper()
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestRootCreateAndUndo(t *testing.T) {
	ctx := context.Background()
	root := seededRoot(t)
	before := snapshot(t, root)
	h, _ := hosttest.NewAt(t, root)
	m := decode(t, "user \"hardeniri\" {\n  unit = \"iri.service\"\n  run_unit_as_user = true\n}")
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 4 {
		t.Fatalf("plan: %+v", p.Changes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	db := readDB(t, h)
	u, ok := db.User("hardeniri")
	if !ok || u.Home != "/var/lib/hardeniri" || u.Shell != "/usr/sbin/nologin" || db.GroupName(u.GID) != "hardeniri" {
		t.Fatalf("created user %+v (%v)", u, ok)
	}
	if locked, known := db.Locked("hardeniri"); !locked || !known {
		t.Errorf("password not locked (%v, %v)", locked, known)
	}
	meta, err := h.Meta("/var/lib/hardeniri")
	if err != nil || meta.UID != u.UID || meta.GID != u.GID || meta.Mode != 0o750 {
		t.Errorf("data dir %+v %v", meta, err)
	}
	st2, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if p2, err := m.Plan(st2); err != nil || !p2.Empty() {
		t.Fatalf("second plan %v: %+v", err, p2.Changes)
	}

	// Node data written after the apply must survive the undo.
	kept := h.Path("/var/lib/hardeniri/db.sst")
	if err := os.WriteFile(kept, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.Undo(ctx, h.Journal(), undoer(h)); err != nil {
		t.Fatal(err)
	}
	if _, ok := readDB(t, h).User("hardeniri"); ok {
		t.Error("undo left the user")
	}
	if _, ok := readDB(t, h).Group("hardeniri"); ok {
		t.Error("undo left the group")
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("undo removed node data: %v", err)
	}
	after := snapshot(t, root)
	for f, want := range before {
		if after[f] != want {
			t.Errorf("/etc/%s not byte-identical after undo", f)
		}
	}
	// Undo is idempotent.
	if err := h.Undo(ctx, h.Journal(), undoer(h)); err != nil {
		t.Errorf("second undo: %v", err)
	}
}

// firstUID finds an account of the seeded root with a uid decode accepts.
func firstUID(t *testing.T, db *accounts.DB) accounts.User {
	for _, u := range db.Users {
		if u.UID >= 1 && u.UID <= 65533 {
			return u
		}
	}
	t.Skip("no account with a uid from 1 to 65533 to collide with")
	return accounts.User{}
}

func TestRootUIDCollision(t *testing.T) {
	ctx := context.Background()
	root := seededRoot(t)
	h, _ := hosttest.NewAt(t, root)
	taken := firstUID(t, readDB(t, h))
	m := decode(t, "user \"hardeniri\" {\n  uid = "+strconv.Itoa(taken.UID)+"\n}")
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Plan(st)
	want := "uid " + strconv.Itoa(taken.UID) + " for user hardeniri is already taken by user " + taken.Name
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("plan error %v, want %q", err, want)
	}

	// A collision that appears between plan and apply is useradd's to
	// catch; the apply fails with its message and the undo cleans up.
	m = decode(t, "user \"hardeniri\" {\n  uid = 4242\n}")
	st, _ = m.Read(ctx, h)
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("useradd", "--root", root, "--system", "--no-create-home", "--uid", "4242", "intruder").CombinedOutput(); err != nil {
		t.Fatalf("seed intruder: %v: %s", err, out)
	}
	err = m.Apply(ctx, h, p)
	if err == nil || !strings.Contains(err.Error(), "not unique") {
		t.Fatalf("apply error %v, want useradd's \"not unique\"", err)
	}
	if err := h.Undo(ctx, h.Journal(), undoer(h)); err != nil {
		t.Fatal(err)
	}
	if _, ok := readDB(t, h).Group("hardeniri"); ok {
		t.Error("undo left the group of the failed apply")
	}
}

func TestRootUpdateAndUndo(t *testing.T) {
	ctx := context.Background()
	root := seededRoot(t)
	for _, args := range [][]string{
		{"useradd", "--root", root, "--system", "--no-create-home", "--home-dir", "/home/hardeniri", "--shell", "/bin/sh", "--user-group", "hardeniri"},
		// A usable password: the module must lock it and undo must unlock it.
		{"usermod", "--root", root, "--password", "$y$j9T$abcdefgh$0123456789012345678901234567890123456789012", "hardeniri"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	before := snapshot(t, root)
	h, _ := hosttest.NewAt(t, root)
	m := decode(t, "user \"hardeniri\" {\n  data_dir = null\n}")
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Action != "update" {
		t.Fatalf("plan %v: %+v", err, p.Changes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	db := readDB(t, h)
	if u, _ := db.User("hardeniri"); u.Shell != "/usr/sbin/nologin" || u.Home != "/var/lib/hardeniri" {
		t.Errorf("after update: %+v", u)
	}
	if locked, _ := db.Locked("hardeniri"); !locked {
		t.Error("password not locked")
	}
	st, _ = m.Read(ctx, h)
	if p2, err := m.Plan(st); err != nil || !p2.Empty() {
		t.Fatalf("second plan %v: %+v", err, p2.Changes)
	}
	if err := h.Undo(ctx, h.Journal(), undoer(h)); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	for _, f := range []string{"passwd", "group"} {
		if after[f] != before[f] {
			t.Errorf("/etc/%s differs after undo", f)
		}
	}
	if !strings.Contains(after["shadow"], "hardeniri:$y$j9T$abcdefgh$") {
		t.Error("undo did not unlock the password")
	}
}
