package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/agent/engine"
	"harden/agent/store"
)

// applied runs the two-file profile once.
func applied(t *testing.T) (*engine.Engine, string, *store.Run) {
	t.Helper()
	e, root := setup(t)
	ctx := context.Background()
	p, _ := e.Plan(ctx)
	run, err := e.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return e, root, run
}

// A run whose journal is gone cannot be rolled back: saying "rolled back"
// while nothing was restored would be a lie.
func TestRollbackRefusesAMissingJournal(t *testing.T) {
	e, root, run := applied(t)
	ctx := context.Background()
	if err := os.Remove(filepath.Join(run.Dir, "journal.jsonl")); err != nil {
		t.Fatal(err)
	}
	_, err := e.Rollback(ctx, run.ID)
	if err == nil || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("rollback with no journal: err = %v, want an error about the journal", err)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "new a\n" {
		t.Errorf("a.conf = %q: a failed rollback changed it", got)
	}
}

// A journal with a line that does not parse (not a torn last line of an
// interrupted run) is damaged: rollback stops rather than undo half of it.
func TestRollbackRefusesATornJournal(t *testing.T) {
	e, _, run := applied(t)
	ctx := context.Background()
	file := filepath.Join(run.Dir, "journal.jsonl")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	torn := lines[0][:len(lines[0])/2] + "\n" + strings.Join(lines[1:], "")
	if err := os.WriteFile(file, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = e.Rollback(ctx, run.ID)
	if err == nil || !strings.Contains(err.Error(), "journal.jsonl:1") {
		t.Fatalf("rollback of a torn journal: err = %v, want an error naming journal.jsonl:1", err)
	}
	// The end cut off, as a finished run's journal never is.
	if err := os.WriteFile(file, []byte(strings.Join(lines[:len(lines)-2], "")+lines[len(lines)-2][:10]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = e.Rollback(ctx, run.ID); err == nil {
		t.Fatal("rollback of an applied run whose journal ends mid-line: want an error")
	}
}

// A kill between writing a temp file and renaming it leaves
// .NAME.harden-NNN beside the file; undoing the run removes it.
func TestRollbackSweepsLeftoverTempFiles(t *testing.T) {
	e, root, run := applied(t)
	ctx := context.Background()
	leftovers := []string{"etc/.a.conf.harden-123456", "etc/.b.conf.harden-99"}
	for _, l := range leftovers {
		mustWrite(t, filepath.Join(root, l), "half", 0o600)
	}
	unrelated := filepath.Join(root, "etc/.c.conf.harden-1")
	mustWrite(t, unrelated, "not ours: c.conf is not in the run", 0o600)
	if _, err := e.Rollback(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	for _, l := range leftovers {
		if _, err := os.Lstat(filepath.Join(root, l)); err == nil {
			t.Errorf("%s left after rollback", l)
		}
	}
	if _, err := os.Lstat(unrelated); err != nil {
		t.Errorf("rollback removed a temp name of a file the run never touched: %v", err)
	}
}
