package engine

import (
	"context"
	"time"

	"harden/agent/plan"
	"harden/modules/module"
)

// Audit reads the machine as Plan does (modules concurrently) and has
// every module that can judge its concern (module.Auditor) do so. Nothing
// is changed.
func (e *Engine) Audit(ctx context.Context) (*plan.Audit, error) {
	start := time.Now()
	states, err := e.readAll(ctx)
	if err != nil {
		return nil, err
	}
	var mods []plan.AuditModule
	for i, m := range e.Modules {
		if a, ok := m.(module.Auditor); ok {
			mods = append(mods, plan.AuditModule{Name: m.Name(), Findings: a.Audit(states[i])})
		}
	}
	a := plan.NewAudit(e.Version, e.Profile, e.Host.Root(), mods)
	a.Elapsed = time.Since(start)
	return a, nil
}
