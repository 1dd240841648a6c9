package moduletest

import (
	"context"
	"testing"

	"harden/modules/host"
	"harden/modules/module"
)

// Plan reads the machine through h and plans, failing the test on an
// error.
func Plan(t testing.TB, m module.Module, h *host.Host) module.Plan {
	t.Helper()
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// Apply plans and applies, failing the test on an error, and returns the
// plan it applied.
func Apply(t testing.TB, m module.Module, h *host.Host) module.Plan {
	t.Helper()
	p := Plan(t, m, h)
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p
}
