package firewall

import (
	"testing"

	"harden/modules/module"
)

func statuses(fs []module.Finding) map[string]module.Status {
	out := map[string]module.Status{}
	for _, f := range fs {
		out[f.Control] = f.Status
	}
	return out
}

// Any table can hold the default deny: a foreign table with the CIS rows'
// rules, defined in nftables.conf, passes as harden's own would.
func TestAuditJudgesWhicheverTableDrops(t *testing.T) {
	m := New()
	foreign := Build(defaultConfig())
	foreign.Name = "filter"
	st := &State{Enabled: true, ConfExists: true, ConfTables: []string{"inet filter"},
		Audit: auditFacts{Tables: []*Table{foreign}, NftablesPackage: true}}
	got := statuses(m.Audit(st))
	for _, id := range []string{"firewall.table", "firewall.base-chains", "firewall.loopback", "firewall.established",
		"firewall.default-deny-input", "firewall.default-deny-forward", "firewall.persisted"} {
		if got[id] != module.Pass {
			t.Errorf("%s = %s, want pass", id, got[id])
		}
	}
	if got["firewall.default-deny-output"] != module.NotApplicable {
		t.Errorf("output policy drop is opt-in: %s", got["firewall.default-deny-output"])
	}

	// The same table, not in nftables.conf: gone at the next boot.
	st.ConfTables = nil
	if got := statuses(m.Audit(st)); got["firewall.persisted"] != module.Fail {
		t.Errorf("a drop policy nothing loads at boot: persisted = %s", got["firewall.persisted"])
	}
	// Debian's stock table: every chain accepts.
	stock := &Table{Family: "inet", Name: "filter", Chains: []Chain{
		{Name: "input", Type: "filter", Hook: "input", Policy: "accept"},
		{Name: "forward", Type: "filter", Hook: "forward", Policy: "accept"},
		{Name: "output", Type: "filter", Hook: "output", Policy: "accept"}}}
	got = statuses(m.Audit(&State{Audit: auditFacts{Tables: []*Table{stock}, UFW: true, UFWEnabled: true}}))
	for id, want := range map[string]module.Status{"firewall.base-chains": module.Pass, "firewall.loopback": module.Fail,
		"firewall.default-deny-input": module.Fail, "firewall.ufw": module.Fail, "firewall.nftables-installed": module.Fail} {
		if got[id] != want {
			t.Errorf("stock table: %s = %s, want %s", id, got[id], want)
		}
	}
}

// With output_policy = "drop" the output row is judged, not waived.
func TestAuditOutputDropOptIn(t *testing.T) {
	cfg := defaultConfig()
	cfg.OutputDrop = true
	m := New()
	m.cfg = cfg
	st := &State{Audit: auditFacts{Tables: []*Table{Build(defaultConfig())}}}
	if got := statuses(m.Audit(st))["firewall.default-deny-output"]; got != module.Fail {
		t.Errorf("opted in, output policy accept: %s, want fail", got)
	}
	st.Audit.Tables = []*Table{Build(cfg)}
	got := statuses(m.Audit(st))
	if got["firewall.default-deny-output"] != module.Pass || got["firewall.established"] != module.Pass {
		t.Errorf("opted in, output policy drop with established accepted: %v", got)
	}
}

// An image has no live ruleset: those rows are n/a, the files are judged.
func TestAuditOffline(t *testing.T) {
	m := New()
	st := &State{Offline: true, FileExists: true, ConfExists: true,
		Conf: []byte("include \"" + m.persistPath + "\"\n"), Enabled: true}
	got := statuses(m.Audit(st))
	for id, want := range map[string]module.Status{"firewall.default-deny-input": module.NotApplicable,
		"firewall.iptables-flushed": module.NotApplicable, "firewall.persisted": module.Pass,
		"firewall.service-enabled": module.Pass} {
		if got[id] != want {
			t.Errorf("offline: %s = %s, want %s", id, got[id], want)
		}
	}
}
