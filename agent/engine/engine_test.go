package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"harden/agent/engine"
	"harden/agent/internal/filemod"
	"harden/agent/profile"
	"harden/agent/store"
	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/module"
)

const twoFiles = `
file "a" {
  path    = "/etc/a.conf"
  content = "new a\n"
  mode    = 384 # 0600
}
file "b" {
  path    = "/etc/b.conf"
  content = "new b\n"
}
`

// setup returns an engine over a temp root holding /etc/a.conf and no
// /etc/b.conf, with the two-file profile loaded.
func setup(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "etc/a.conf"), "old a\n", 0o644)
	loader := profile.NewLoader([]module.Factory{filemod.Factory})
	p, diags := loader.Load(profile.Source{Name: "test.hcl", Bytes: []byte(twoFiles)}, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h, _ := hosttest.NewAt(t, root)
	h.Attach(nil) // the engine attaches each run's own journal
	return &engine.Engine{Host: h, Modules: p.Modules, Factories: loader.Factories, Log: zaptest.NewLogger(t)}, root
}

func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(data)
}

func TestApplyThenPlanIsEmpty(t *testing.T) {
	e, root := setup(t)
	ctx := context.Background()
	p, err := e.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Summary; got.Create != 1 || got.Update != 1 {
		t.Fatalf("summary = %+v, want 1 create, 1 update", got)
	}
	run, err := e.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if run.Result.Status != store.StatusApplied {
		t.Errorf("status = %q", run.Result.Status)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "new a\n" {
		t.Errorf("a.conf = %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(root, "etc/a.conf")); fi.Mode().Perm() != 0o600 {
		t.Errorf("a.conf mode = %v, want 0600", fi.Mode().Perm())
	}
	again, err := e.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Errorf("second plan not empty: %v", again.Addresses())
	}
}

func TestFailedApplyUndoesEarlierModules(t *testing.T) {
	e, root := setup(t)
	e.Modules[1].(*filemod.Module).FailApply = true
	ctx := context.Background()
	p, _ := e.Plan(ctx)
	run, err := e.Apply(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "file.b: apply: failing as asked") {
		t.Fatalf("err = %v", err)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "old a\n" {
		t.Errorf("a.conf not restored: %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(root, "etc/a.conf")); fi.Mode().Perm() != 0o644 {
		t.Errorf("a.conf mode not restored: %v", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(root, "etc/b.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("b.conf should not exist after undo: %v", err)
	}
	if run.Result.Status != store.StatusFailed {
		t.Errorf("status = %q", run.Result.Status)
	}
}

func TestInconsistentResultIsAnErrorAndUndone(t *testing.T) {
	e, root := setup(t)
	e.Modules[1].(*filemod.Module).SkipApply = true
	ctx := context.Background()
	p, _ := e.Plan(ctx)
	_, err := e.Apply(ctx, p)
	if !errors.Is(err, engine.ErrInconsistent) || !strings.Contains(err.Error(), "file.b[/etc/b.conf]") {
		t.Fatalf("err = %v, want inconsistent result naming file.b", err)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "old a\n" {
		t.Errorf("a.conf not restored: %q", got)
	}
}

func TestRollbackRestoresBytesAndIsIdempotent(t *testing.T) {
	e, root := setup(t)
	ctx := context.Background()
	orig := "old a\n\x00binary\xff tail without newline"
	mustWrite(t, filepath.Join(root, "etc/a.conf"), orig, 0o640)
	p, _ := e.Plan(ctx)
	run, err := e.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		rb, err := e.Rollback(ctx, "")
		if i == 1 {
			// Nothing applied is left: the second call finds no run.
			if err == nil {
				t.Fatalf("second rollback without id: want error, got run %s", rb.ID)
			}
			rb, err = e.Rollback(ctx, run.ID)
		}
		if err != nil {
			t.Fatalf("rollback %d: %v", i, err)
		}
		if rb.Result.Status != store.StatusRolledBack {
			t.Errorf("rollback %d: status %q", i, rb.Result.Status)
		}
		if got := read(t, filepath.Join(root, "etc/a.conf")); got != orig {
			t.Errorf("rollback %d: a.conf = %q", i, got)
		}
		if fi, _ := os.Stat(filepath.Join(root, "etc/a.conf")); fi.Mode().Perm() != 0o640 {
			t.Errorf("rollback %d: mode = %v", i, fi.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(root, "etc/b.conf")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("rollback %d: b.conf still there", i)
		}
	}
}

func TestRollbackInALaterProcessUsesTheJournalAlone(t *testing.T) {
	e, root := setup(t)
	ctx := context.Background()
	p, _ := e.Plan(ctx)
	run, err := e.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// A new engine with no modules, as `harden rollback` builds it.
	later := &engine.Engine{Host: host.New(host.Options{Root: root, Systemd: &hosttest.Systemd{}}),
		Factories: e.Factories, Log: e.Log}
	if _, err := later.Rollback(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "old a\n" {
		t.Errorf("a.conf = %q", got)
	}
}

func TestTargets(t *testing.T) {
	e, _ := setup(t)
	if err := e.Targets([]string{"file.b"}); err != nil {
		t.Fatal(err)
	}
	p, _ := e.Plan(context.Background())
	if got := strings.Join(p.Addresses(), ","); got != "file.b[/etc/b.conf]" {
		t.Errorf("addresses = %s", got)
	}
	err := e.Targets([]string{"sshd"})
	if err == nil || !strings.Contains(err.Error(), "no such module (it has: file.b)") {
		t.Errorf("err = %v", err)
	}
	// A near miss gets what was meant.
	if err := e.Targets([]string{"file.c"}); err == nil || !strings.Contains(err.Error(), `did you mean "file.b"?`) {
		t.Errorf("err = %v", err)
	}
}

// Runs that start within one second (an apply, then the confirm that
// closes the old port) must still come back in the order they ran, whatever
// their random id suffixes: rollback takes the newest.
func TestRunsWithinOneSecondKeepTheirOrder(t *testing.T) {
	e, _ := setup(t)
	ctx := context.Background()
	var ids []string
	for i := range 12 {
		e.Modules[0].(*filemod.Module).Content = fmt.Sprintf("version %d\n", i)
		p, err := e.Plan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		run, err := e.Apply(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}
	list, err := store.Of(e.Host).Runs().List()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range list {
		if r.ID != ids[i] {
			t.Fatalf("run %d listed as %s, want %s (order %v)", i, r.ID, ids[i], ids)
		}
	}
	last, _ := store.Of(e.Host).Runs().ToRollBack()
	if last != ids[len(ids)-1] {
		t.Errorf("last applied = %s, want %s", last, ids[len(ids)-1])
	}
}

// scoped records what the engine says it left out of the run.
type scoped struct {
	module.Module
	leftOut []string
}

func (s *scoped) LeftOut(names []string) { s.leftOut = append(s.leftOut, names...) }

func TestTargetsTellKeptModulesWhatWasLeftOut(t *testing.T) {
	e, _ := setup(t)
	kept := &scoped{Module: e.Modules[1]}
	e.Modules[1] = kept
	if err := e.Targets([]string{"file.b"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kept.leftOut, ",") != "file.a" {
		t.Errorf("left out: %q, want file.a", kept.leftOut)
	}
}

// An image whose /var/lib/harden points out of it: the run's records land
// in the image (where the link means the image's own path), and a run id
// that climbs names no run.
func TestRunRecordsStayInTheRoot(t *testing.T) {
	e, root := setup(t)
	outside := t.TempDir()
	for _, dir := range []string{"var/lib", outside} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, store.Dir)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, _ := e.Plan(ctx)
	run, err := e.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Rollback(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("run records written outside the root: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(root, outside, "runs", run.ID, "journal.jsonl")); err != nil {
		t.Errorf("run records not in the image: %v", err)
	}
	if _, err := e.Rollback(ctx, "../../../../../../../../"+outside); err == nil || !strings.Contains(err.Error(), "not a run id") {
		t.Errorf("a climbing run id: %v, want a refusal", err)
	}
}
