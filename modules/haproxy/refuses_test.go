package haproxy

import (
	"testing"

	"harden/modules/module/moduletest"
)

// Refuses is what the iri block asks before warning that its limit is not
// enforced behind the proxy: the limited commands, and with an allowlist
// everything outside it, are refused; without an allowlist the rest pass.
func TestRefuses(t *testing.T) {
	linked := Factory.New().(*Module)
	moduletest.MustDecode(t, linked, "haproxy {\n  allowed_commands = [\"getNodeInfo\"]\n}")
	if diags := linked.Link(peers{"iri": fakeIRI{limited: []string{"addNeighbors"}, port: 14265}}); diags.HasErrors() {
		t.Fatal(diags)
	}
	open := Factory.New().(*Module)
	moduletest.MustDecode(t, open, "haproxy {\n  allowed_commands = []\n}")
	for _, tt := range []struct {
		m       *Module
		command string
		want    bool
	}{
		{linked, "addNeighbors", true},
		{linked, "getTips", true},
		{linked, "getNodeInfo", false},
		{open, "getTips", false},
	} {
		if got := tt.m.Refuses(tt.command); got != tt.want {
			t.Errorf("Refuses(%q) with allowlist %q = %v, want %v", tt.command, tt.m.Settings().AllowedCommands, got, tt.want)
		}
	}
}
