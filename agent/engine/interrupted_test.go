package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"harden/agent/engine"
	"harden/agent/internal/filemod"
	"harden/agent/store"
)

// interrupted applies file.a and leaves the run as a killed apply does:
// the change made and journaled, the run still "applying".
func interrupted(t *testing.T) (*engine.Engine, string, *store.Run) {
	t.Helper()
	e, root, run := applied(t)
	run.Result.Status = store.StatusApplying
	if err := run.Save(); err != nil {
		t.Fatal(err)
	}
	return e, root, run
}

func TestApplyRefusesAfterAnInterruptedRun(t *testing.T) {
	e, root, run := interrupted(t)
	e.Modules[0].(*filemod.Module).Content = "newer a\n"
	ctx := context.Background()
	p, err := e.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Apply(ctx, p)
	var ie *engine.InterruptedError
	if !errors.As(err, &ie) || ie.Run.ID != run.ID || !strings.Contains(err.Error(), run.ID) {
		t.Fatalf("apply after an interrupted run: err = %v, want one naming run %s", err, run.ID)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "new a\n" {
		t.Errorf("a refused apply changed a.conf: %q", got)
	}
	if err := e.CheckInterrupted(); !errors.As(err, &ie) {
		t.Errorf("CheckInterrupted = %v", err)
	}
}

// Plain rollback takes the interrupted run, even when an applied run is
// newer, and afterwards apply works again.
func TestPlainRollbackTakesTheInterruptedRun(t *testing.T) {
	e, root, run := interrupted(t)
	ctx := context.Background()
	rb, err := e.Rollback(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != run.ID || rb.Result.Status != store.StatusRolledBack {
		t.Errorf("rolled back %s (%s), want %s", rb.ID, rb.Result.Status, run.ID)
	}
	if got := read(t, filepath.Join(root, "etc/a.conf")); got != "old a\n" {
		t.Errorf("a.conf = %q", got)
	}
	if err := e.CheckInterrupted(); err != nil {
		t.Errorf("after the rollback: %v", err)
	}
}
