//go:build root

package firewall

import (
	"context"
	"testing"

	"harden/modules/host"
	"harden/modules/module"
)

// The audit reads the real ruleset over netlink: a namespace with no
// rules fails CIS §4.3's rows, Debian's own stock table (input chain with
// policy accept) too, and harden's applied table passes every row but the
// opt-in output policy.
func TestRootAuditJudgesTheLiveRuleset(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t, "audit")
	m := New()
	m.InNetns(ns.fd)
	h, _, sd := liveHost(t, m, "")

	fresh := auditOf(t, m, h)
	for _, id := range []string{"firewall.table", "firewall.base-chains", "firewall.default-deny-input",
		"firewall.default-deny-forward", "firewall.loopback", "firewall.service-enabled", "firewall.persisted"} {
		if got := statusOf(t, fresh, id); got != module.Fail {
			t.Errorf("empty ruleset: %s = %s, want fail", id, got)
		}
	}

	run(t, "ip", "netns", "exec", ns.name, "nft", "add table inet filter; "+
		"add chain inet filter input { type filter hook input priority 0; policy accept; }")
	if got := statusOf(t, auditOf(t, m, h), "firewall.default-deny-input"); got != module.Fail {
		t.Errorf("Debian's stock table (input policy accept): default-deny-input = %s, want fail", got)
	}

	p, _ := planOf(t, m, h)
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if !sd.Enabled[serviceName] {
		t.Fatal("apply did not enable nftables.service")
	}
	for _, f := range auditOf(t, m, h) {
		want := module.Pass
		if f.Control == "firewall.default-deny-output" {
			want = module.NotApplicable
		}
		if f.Status != want {
			t.Errorf("after apply: %s (%s) = %s, want %s: %s %s", f.Control, f.Title, f.Status, want, f.Found, f.Note)
		}
	}
}

func auditOf(t *testing.T, m *Module, h *host.Host) []module.Finding {
	t.Helper()
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return m.Audit(st)
}

func statusOf(t *testing.T, fs []module.Finding, control string) module.Status {
	t.Helper()
	for _, f := range fs {
		if f.Control == control {
			return f.Status
		}
	}
	t.Fatalf("no finding %s in %+v", control, fs)
	return ""
}
