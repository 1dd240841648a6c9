package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"harden/agent/plan"
	"harden/agent/store"
)

// ErrInconsistent means the machine, read again after apply, still differs
// from the profile: a module did not do what its plan promised.
var ErrInconsistent = errors.New("inconsistent result after apply")

// undoTimeout bounds an undo that runs after the apply's context ended
// (an interrupt): undo must still happen.
const undoTimeout = 2 * time.Minute

// Apply makes the planned changes, module by module in engine order, every
// step journaled in a new run. Then it reads the machine and plans again:
// anything left is ErrInconsistent. On any failure it undoes what it did, in
// reverse, and returns the error; the run records what happened.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan) (*store.Run, error) {
	if err := e.CheckInterrupted(); err != nil {
		return nil, err
	}
	run, err := store.Of(e.Host).Runs().Create(p)
	if err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	e.Host.Attach(run.Journal)
	defer e.Host.Attach(nil)
	e.Log.Info("apply started", zap.String("run", run.ID), zap.Int("changes", p.Summary.Total()))

	if e.BeforeChanges != nil {
		if err := e.BeforeChanges(ctx, run); err != nil {
			_ = run.Finish(store.StatusFailed, err)
			return run, fmt.Errorf("%w; nothing was changed", err)
		}
	}
	err = e.applyModules(ctx, p)
	if err == nil {
		err = e.verify(ctx)
	}
	if err != nil {
		return run, e.fail(run, err)
	}
	return run, run.Finish(store.StatusApplied, nil)
}

func (e *Engine) applyModules(ctx context.Context, p *plan.Plan) error {
	for _, mp := range p.Modules {
		if mp.Empty() {
			continue
		}
		m, ok := e.module(mp.Name)
		if !ok {
			return fmt.Errorf("plan names module %q the profile does not have", mp.Name)
		}
		e.Host.Journal().SetModule(m.Name())
		e.Log.Info("applying", zap.String("module", m.Name()), zap.Int("changes", len(mp.Changes)))
		if err := m.Apply(ctx, e.Host, mp.Plan); err != nil {
			return wrap(m, "apply", err)
		}
	}
	e.Host.Journal().SetModule("")
	if err := e.Host.RunDeferred(ctx); err != nil {
		return fmt.Errorf("restart after apply: %w", err)
	}
	return nil
}

// verify re-reads the machine and re-plans: the plan must now be empty.
func (e *Engine) verify(ctx context.Context) error {
	after, err := e.Plan(ctx)
	if err != nil {
		return fmt.Errorf("re-read after apply: %w", err)
	}
	if !after.Empty() {
		return fmt.Errorf("%w: still differs at %s", ErrInconsistent, strings.Join(after.Addresses(), ", "))
	}
	return nil
}

// fail undoes a run's journal and records the failure.
func (e *Engine) fail(run *store.Run, cause error) error {
	e.Log.Error("apply failed; undoing what it changed", zap.String("run", run.ID), zap.Error(cause))
	ctx, cancel := context.WithTimeout(context.Background(), undoTimeout)
	defer cancel()
	if uerr := e.undo(ctx, run.Journal); uerr != nil {
		err := fmt.Errorf("%w\nundo was incomplete, backups are in %s: %v", cause, run.Dir, uerr)
		_ = run.Finish(store.StatusFailed, err)
		return err
	}
	_ = run.Finish(store.StatusFailed, cause)
	return fmt.Errorf("%w\nevery change was undone; the machine is as it was (run %s)", cause, run.ID)
}

// Rollback undoes an applied or interrupted run (when id is "", an
// interrupted run if there is one, else the last applied one).
// Rolling back a run that is already rolled back does nothing.
func (e *Engine) Rollback(ctx context.Context, id string) (*store.Run, error) {
	runs := store.Of(e.Host).Runs()
	if id == "" {
		var err error
		if id, err = runs.ToRollBack(); err != nil {
			return nil, err
		}
	}
	run, err := runs.Open(id)
	if err != nil {
		return nil, err
	}
	switch run.Result.Status {
	case store.StatusRolledBack, store.StatusFailed:
		e.Log.Info("run already undone; nothing to do", zap.String("run", id), zap.String("status", run.Result.Status))
		return run, nil
	}
	e.Log.Info("rolling back", zap.String("run", id), zap.Int("steps", len(run.Journal.Steps())))
	if err := e.undo(ctx, run.Journal); err != nil {
		return run, fmt.Errorf("rollback %s: %w", id, err)
	}
	return run, run.Finish(store.StatusRolledBack, nil)
}
