package plan

import (
	"reflect"
	"testing"

	"harden/modules/module"
)

// A risk is drift even when no change is due: apply cannot fix it, and the
// drift check must not call the machine clean.
func TestRisksAreDrift(t *testing.T) {
	clean := New("v", "p", "/", []Module{{Name: "sshd"}})
	if clean.Drifted() {
		t.Error("an empty plan without risks drifted")
	}
	risky := New("v", "p", "/", []Module{{Name: "sshd", Plan: module.Plan{
		Risks: []module.Risk{{Address: "sshd.match[PermitRootLogin]", Message: "root from 192.0.2.1 gets yes"}}}}})
	if !risky.Empty() || !risky.Drifted() {
		t.Errorf("empty=%v drifted=%v, want an empty plan that drifted", risky.Empty(), risky.Drifted())
	}
	if got := risky.DriftAddresses(); !reflect.DeepEqual(got, []string{"sshd.match[PermitRootLogin]"}) {
		t.Errorf("drift addresses = %v", got)
	}
}
