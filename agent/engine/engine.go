// Package engine drives modules through a run: read the machine, plan,
// apply in a fixed order with a journal, re-check, and undo in reverse on
// failure or on request.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"harden/agent/plan"
	"harden/agent/store"
	"harden/modules/host"
	"harden/modules/module"
)

// Engine runs a profile's modules against a host.
type Engine struct {
	Host    *host.Host
	Modules []module.Module // in engine order
	// Factories make modules for undoing runs of modules not in the
	// current profile (rollback after the profile changed).
	Factories []module.Factory
	Version   string
	Profile   string
	Log       *zap.Logger
	// BeforeChanges runs once a run exists and before any module changes
	// the machine (commit-confirmed arms its rollback timer here). An
	// error stops the apply with nothing changed.
	BeforeChanges func(ctx context.Context, run *store.Run) error
}

// Targets keeps only the modules named (by block type or full name, as
// `-target sshd` or `-target user.iri`). No targets keeps all.
func (e *Engine) Targets(targets []string) error {
	if len(targets) == 0 {
		return nil
	}
	var kept []module.Module
	for _, t := range targets {
		n := 0
		for _, m := range e.Modules {
			if m.Name() == t || strings.HasPrefix(m.Name(), t+".") {
				if !slices.Contains(kept, m) {
					kept = append(kept, m)
				}
				n++
			}
		}
		if n == 0 {
			err := fmt.Errorf("-target %s: the profile configures no such module (it has: %s)",
				t, strings.Join(e.names(), ", "))
			if s := module.Suggest(t, e.names()); s != "" {
				err = fmt.Errorf("%w; did you mean %q?", err, s)
			}
			return err
		}
	}
	// Keep engine order whatever the order of the flags.
	slices.SortStableFunc(kept, func(a, b module.Module) int {
		return slices.Index(e.Modules, a) - slices.Index(e.Modules, b)
	})
	var left []string
	for _, m := range e.Modules {
		if !slices.Contains(kept, m) {
			left = append(left, m.Name())
		}
	}
	for _, m := range kept {
		if s, ok := m.(module.RunScoped); ok && len(left) > 0 {
			s.LeftOut(left)
		}
	}
	e.Modules = kept
	return nil
}

func (e *Engine) names() []string {
	out := make([]string, len(e.Modules))
	for i, m := range e.Modules {
		out[i] = m.Name()
	}
	return out
}

// Plan reads the machine (modules concurrently: reads have no side effects)
// and asks every module for its changes.
func (e *Engine) Plan(ctx context.Context) (*plan.Plan, error) {
	states, err := e.readAll(ctx)
	if err != nil {
		return nil, err
	}
	mods := make([]plan.Module, len(e.Modules))
	var errs []error
	for i, m := range e.Modules {
		p, err := m.Plan(states[i])
		if err != nil {
			errs = append(errs, wrap(m, "plan", err))
			continue
		}
		for j := range p.Changes {
			p.Changes[j].Module = m.Name()
		}
		mods[i] = plan.Module{Name: m.Name(), Plan: p}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return plan.New(e.Version, e.Profile, e.Host.Root(), mods), nil
}

func (e *Engine) readAll(ctx context.Context) ([]module.State, error) {
	states := make([]module.State, len(e.Modules))
	errs := make([]error, len(e.Modules))
	var wg sync.WaitGroup
	for i, m := range e.Modules {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			s, err := m.Read(ctx, e.Host)
			if err != nil {
				err = wrap(m, "read", err)
			}
			states[i], errs[i] = s, err
			if e.Log != nil {
				e.Log.Debug("read", zap.String("module", m.Name()), zap.Duration("took", time.Since(start)))
			}
		}()
	}
	wg.Wait()
	return states, errors.Join(errs...)
}

// module finds a module of this run by name, or makes a fresh one from its
// factory (to undo steps of a module the current profile no longer has).
func (e *Engine) module(name string) (module.Module, bool) {
	for _, m := range e.Modules {
		if m.Name() == name {
			return m, true
		}
	}
	block, _, _ := strings.Cut(name, ".")
	for _, f := range e.Factories {
		if f.Block == block {
			return f.New(), true
		}
	}
	return nil, false
}

// undo reverts a journal, handing custom steps to their modules.
func (e *Engine) undo(ctx context.Context, j *host.Journal) error {
	return e.Host.Undo(ctx, j, func(ctx context.Context, s host.Step) error {
		m, ok := e.module(s.Module)
		if !ok {
			return fmt.Errorf("no module %q to undo a custom step", s.Module)
		}
		u, ok := m.(module.Undoer)
		if !ok {
			return fmt.Errorf("module %q has custom steps but no Undo", s.Module)
		}
		return u.Undo(ctx, e.Host, s.Data)
	})
}

// wrap gives a module's error its context: "sshd: plan: ...", or just the
// verb when the module's message already starts with its name.
func wrap(m module.Module, verb string, err error) error {
	if strings.HasPrefix(err.Error(), m.Name()+": ") {
		return err
	}
	return fmt.Errorf("%s: %s: %w", m.Name(), verb, err)
}
