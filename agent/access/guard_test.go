package access

import (
	"strings"
	"testing"

	"harden/agent/plan"
	"harden/agent/registry"
	"harden/modules/module"
)

// -no-confirm over SSH may not move sshd off the session's port; the
// refusal names the way that works.
func TestNoConfirmOverSSHNamesTheWayThatWorks(t *testing.T) {
	if err := unconfirmedMove(22, []int{22, 2222}); err != nil {
		t.Errorf("port 22 kept: %v", err)
	}
	if err := unconfirmedMove(22, nil); err != nil {
		t.Errorf("profile leaves the port alone: %v", err)
	}
	err := unconfirmedMove(22, []int{2222})
	for _, want := range []string{"off port 22", "Apply without -no-confirm", "`harden confirm` from a NEW SSH connection on port 2222"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v does not say %q", err, want)
		}
	}
}

// The modules that can cut SSH access say so themselves; an apply that
// changes one of them, and only such an apply, is commit-confirmed.
func TestNeedsConfirmAsksTheModules(t *testing.T) {
	var mods []module.Module
	for _, f := range registry.Factories() {
		mods = append(mods, f.New())
	}
	changing := func(name string) *plan.Plan {
		return plan.New("v", "p.hcl", "/", []plan.Module{{Name: name, Plan: module.Plan{
			Changes: []module.Change{{Address: name + ".x", Action: module.Update}}}}})
	}
	for _, m := range mods {
		_, cuts := m.(module.AccessCutter)
		if got := NeedsConfirm(mods, changing(m.Name())); got != cuts {
			t.Errorf("a change of %s: needs confirm %v, want %v", m.Name(), got, cuts)
		}
	}
	for _, name := range []string{"sshd", "firewall"} {
		if !NeedsConfirm(mods, changing(name)) {
			t.Errorf("a change of %s is not commit-confirmed", name)
		}
	}
	if NeedsConfirm(mods, plan.New("v", "p.hcl", "/", []plan.Module{{Name: "sshd"}})) {
		t.Error("an empty sshd plan is commit-confirmed")
	}
}
