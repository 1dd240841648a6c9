package iri

import (
	"testing"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/haproxy"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// A haproxy block refuses the commands the iri block limits (its Link takes
// them): behind that proxy REMOTE_LIMIT_API is enforced, so the plan warns
// of nothing. The public profile's first plan showed the warning anyway.
func TestProxyThatRefusesLimitedCommandsNeedsNoWarning(t *testing.T) {
	node := &Module{}
	moduletest.MustDecode(t, node, "iri {}\n")
	proxy := &haproxy.Module{}
	moduletest.MustDecode(t, proxy, "haproxy {}\n")
	both := peers{"iri": node, "haproxy": proxy}
	for _, m := range []interface {
		Link(module.Peers) hcl.Diagnostics
	}{node, proxy} {
		if diags := m.Link(both); diags.HasErrors() {
			t.Fatal(diags)
		}
	}
	p, err := node.Plan(&State{Data: []byte(sampleINI), Owner: "iri:iri", FileOwner: "iri:iri"})
	if err != nil {
		t.Fatal(err)
	}
	if containsWarning(p, "REMOTE_LIMIT_API does not apply to proxied calls") {
		t.Errorf("the plan warns of a limit the proxy enforces: %q", p.Warnings)
	}
}
