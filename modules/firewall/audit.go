package firewall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/google/nftables"

	"harden/modules/host"
	"harden/modules/internal/dpkg"
	"harden/modules/module"
)

// The audit judges the whole live ruleset against CIS Debian 12 §4.3
// (nftables), whichever table holds the rules: harden's own table or
// another. A packet passes a hook only if every base chain there lets it
// through, so "default deny" means one base chain with policy drop. The
// output policy stays accept unless output_policy = "drop" (README says
// why): the output half of 4.3.8 is then a departure, not a failure.

// auditFacts are what Read gathers for the audit beyond harden's table.
type auditFacts struct {
	// Tables are every table in the kernel, harden's included, as read.
	Tables []*Table
	// NftablesPackage and UFW: installed per the package database;
	// UFWEnabled: ufw.service starts at boot.
	NftablesPackage, UFW, UFWEnabled bool
	// Legacy are iptables-legacy tables the kernel has loaded
	// (/proc/net/ip_tables_names, ip6_tables_names); nil offline.
	Legacy []string
}

// readAuditFacts reads the packages, the legacy tables and, live, every
// table of the ruleset.
func readAuditFacts(ctx context.Context, h *host.Host, c *nftables.Conn, tables []string) (auditFacts, error) {
	var f auditFacts
	status, err := h.ReadFile(dpkg.StatusPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	for name, into := range map[string]*bool{"nftables": &f.NftablesPackage, "ufw": &f.UFW} {
		p, found := dpkg.Lookup(status, name)
		*into = found && p.Installed()
	}
	if f.UFW {
		f.UFWEnabled, _ = h.Systemd().IsEnabled(ctx, "ufw.service")
	}
	if c == nil {
		return f, nil
	}
	for _, p := range []string{"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"} {
		if data, err := h.ReadFile(p); err == nil {
			f.Legacy = append(f.Legacy, strings.Fields(string(data))...)
		}
	}
	for _, id := range tables {
		family, name, _ := strings.Cut(id, " ")
		t, err := readTable(c, family, name)
		if err != nil {
			return f, fmt.Errorf("read %s: %w", id, err)
		}
		if t != nil {
			f.Tables = append(f.Tables, t)
		}
	}
	return f, nil
}

// Audit judges the ruleset, its persistence and the firewall tools.
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(*State)
	if !ok {
		return nil
	}
	live := m.ruleset(st)
	if st.Offline {
		for i := range live {
			live[i].Status, live[i].Found = module.NotApplicable, ""
			live[i].Note = "an offline image has no live ruleset; what it loads at boot is judged below"
		}
	}
	out := append(m.tools(st), live...)
	return append(out, m.persistence(st)...)
}

// tools: nftables installed, ufw out of the way, no legacy iptables rules.
func (m *Module) tools(st *State) []module.Finding {
	nft := module.Finding{Control: "firewall.nftables-installed", Title: "nftables installed",
		Refs: module.Refs(module.CIS, "4.3.1"), Status: module.Verdict(st.Audit.NftablesPackage && !st.NoNft)}
	ufw := module.Finding{Control: "firewall.ufw", Title: "ufw not installed, or disabled",
		Refs: module.Refs(module.CIS, "4.3.2"), Status: module.Verdict(!st.Audit.UFW || !st.Audit.UFWEnabled)}
	if st.Audit.UFW {
		ufw.Found = "installed, enabled at boot"
		if !st.Audit.UFWEnabled {
			ufw.Found = "installed, disabled"
		}
	}
	legacy := module.Finding{Control: "firewall.iptables-flushed", Title: "no iptables-legacy tables beside nftables",
		Refs: module.Refs(module.CIS, "4.3.3"), Found: strings.Join(st.Audit.Legacy, " "),
		Status: module.Verdict(len(st.Audit.Legacy) == 0)}
	if st.Offline {
		legacy.Status, legacy.Note = module.NotApplicable, "an offline image loads no tables"
	}
	return []module.Finding{nft, ufw, legacy}
}

// baseChains are the filter chains at a hook, in every table.
func baseChains(tables []*Table, hook string) []*Chain {
	var out []*Chain
	for _, t := range tables {
		for i := range t.Chains {
			if c := &t.Chains[i]; c.Hook == hook && (c.Type == "filter" || c.Type == "") {
				out = append(out, c)
			}
		}
	}
	return out
}

// dropping are the chains at a hook whose policy is drop.
func dropping(tables []*Table, hook string) []*Chain {
	return slices.DeleteFunc(baseChains(tables, hook), func(c *Chain) bool { return c.Policy != "drop" })
}

// hasRule reports whether a chain has a rule whose text is want
// (counters aside), as nft prints it.
func hasRule(c *Chain, want ...string) bool {
	for _, r := range c.Rules {
		text := strings.ReplaceAll(r.String(), " counter", "")
		if slices.Contains(want, text) {
			return true
		}
	}
	return false
}

func anyChain(cs []*Chain, ok func(*Chain) bool) bool { return slices.ContainsFunc(cs, ok) }

// ruleset judges the live tables (CIS 4.3.4 to 4.3.8).
func (m *Module) ruleset(st *State) []module.Finding {
	tables := st.Audit.Tables
	var ids []string
	for _, t := range tables {
		ids = append(ids, t.ID())
	}
	exists := module.Finding{Control: "firewall.table", Title: "an nftables table exists", Managed: true,
		Refs: module.Refs(module.CIS, "4.3.4"), Found: strings.Join(ids, ", "), Status: module.Verdict(len(tables) > 0)}
	var missing []string
	for _, hook := range []string{"input", "forward", "output"} {
		if len(baseChains(tables, hook)) == 0 {
			missing = append(missing, hook)
		}
	}
	chains := module.Finding{Control: "firewall.base-chains", Title: "base chains for input, forward and output",
		Managed: true, Refs: module.Refs(module.CIS, "4.3.5"), Status: module.Verdict(len(missing) == 0)}
	if len(missing) > 0 {
		chains.Found = "none for " + strings.Join(missing, ", ")
	}
	in := dropping(tables, "input")
	loopback := module.Finding{Control: "firewall.loopback", Managed: true, Refs: module.Refs(module.CIS, "4.3.6"),
		Title: "loopback accepted, spoofed loopback dropped",
		Status: module.Verdict(anyChain(in, func(c *Chain) bool {
			return hasRule(c, `iif "lo" accept`) && hasRule(c, `iif != "lo" ip saddr 127.0.0.0/8 drop`) &&
				hasRule(c, `iif != "lo" ip6 saddr ::1 drop`)
		}))}
	established := module.Finding{Control: "firewall.established", Managed: true, Refs: module.Refs(module.CIS, "4.3.7"),
		Title: "established accepted, outbound allowed",
		Status: module.Verdict(anyChain(in, func(c *Chain) bool {
			return hasRule(c, "ct state established,related accept", "ct state related,established accept")
		}) && outboundAllowed(tables))}
	return append([]module.Finding{exists, chains, loopback, established}, m.defaultDeny(tables)...)
}

// outboundAllowed: every output base chain accepts new and established
// connections, by policy or by a rule.
func outboundAllowed(tables []*Table) bool {
	for _, c := range baseChains(tables, "output") {
		if c.Policy == "drop" && !hasRule(c, "ct state established,related accept", "ct state related,established accept") {
			return false
		}
	}
	return true
}

// defaultDeny: input and forward drop by default; output is opt-in.
func (m *Module) defaultDeny(tables []*Table) []module.Finding {
	var out []module.Finding
	for _, hook := range []string{"input", "forward"} {
		out = append(out, module.Finding{Control: "firewall.default-deny-" + hook, Managed: true,
			Title: "default deny: " + hook + " policy drop", Refs: module.Refs(module.CIS, "4.3.8"),
			Status: module.Verdict(len(dropping(tables, hook)) > 0)})
	}
	output := module.Finding{Control: "firewall.default-deny-output", Title: "default deny: output policy drop",
		Managed: true, Refs: module.Refs(module.CIS, "4.3.8")}
	switch {
	case m.cfg.OutputDrop:
		output.Status = module.Verdict(len(dropping(tables, "output")) > 0)
	default:
		output.Status = module.NotApplicable
		output.Note = `harden departs: output policy drop is opt-in (output_policy = "drop"); dropping a node's own ` +
			"outbound traffic breaks apt, NTP, DNS and its gossip unless each is listed (README)"
	}
	return append(out, output)
}

// persistence: the ruleset survives a reboot (CIS 4.3.9, 4.3.10).
func (m *Module) persistence(st *State) []module.Finding {
	enabled := module.Finding{Control: "firewall.service-enabled", Title: "nftables.service enabled at boot", Managed: true,
		Refs: module.Refs(module.CIS, "4.3.9"), Status: module.Verdict(st.Enabled)}
	permanent := module.Finding{Control: "firewall.persisted", Title: "the input drop policy is loaded at boot",
		Managed: true, Refs: module.Refs(module.CIS, "4.3.10")}
	_, missingInclude := confWithInclude(st.Conf, st.ConfExists, m.persistPath)
	switch {
	case st.Live != nil:
		permanent.Status = module.Verdict(st.FileExists && !missingInclude && bytes.Equal(st.File, []byte(renderFile(st.Live))))
		permanent.Found = m.persistPath
	case st.Offline && st.FileExists && !missingInclude:
		permanent.Status, permanent.Found = module.Pass, m.persistPath
	default: // another table drops input: is it one nftables.conf defines?
		permanent.Status = module.Verdict(slices.ContainsFunc(st.Audit.Tables, func(t *Table) bool {
			return len(dropping([]*Table{t}, "input")) > 0 && slices.Contains(st.ConfTables, t.ID())
		}))
	}
	return []module.Finding{enabled, permanent}
}
