// Package plan is the data of a whole run's plan: what `harden plan` shows
// and `harden apply` does. It is rendered in one place (agent/render) and
// stored with every run as plan.json.
package plan

import (
	"slices"

	"harden/modules/module"
)

// FormatVersion is the version of harden's JSON output: the plan below and
// the apply and confirm results that carry it. Its major number changes
// when a field changes meaning or goes away; new fields do not change it,
// so a reader accepts any 1.x.
const FormatVersion = "1.0"

// Plan is every module's proposal for one machine and one profile.
type Plan struct {
	FormatVersion string `json:"format_version"`
	Version       string `json:"harden_version"`
	Profile       string `json:"profile"`
	Root          string `json:"root"`
	// Modules in engine order (the order Apply runs them in).
	Modules []Module `json:"modules"`
	Summary Summary  `json:"summary"`
	// SSH is where sshd listens once this plan is applied and confirmed.
	// It is set on a live machine whose profile manages sshd's port; nil
	// means sshd stays on the ports it listens on now.
	SSH *SSH `json:"ssh,omitempty"`
}

// SSH are sshd's ports after the plan: where a tool that drives harden
// over SSH reconnects to confirm an apply.
type SSH struct {
	Ports []int `json:"ports"`
	// HeldPorts are ports sshd and the firewall keep only until `harden
	// confirm` (the old port of a two-phase port move).
	HeldPorts []int `json:"held_ports,omitempty"`
}

// Module is one module's part of the plan.
type Module struct {
	Name string `json:"name"`
	module.Plan
}

// Summary counts changes by action.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Replace int `json:"replace"`
}

// Total is the number of changes.
func (s Summary) Total() int { return s.Create + s.Update + s.Delete + s.Replace }

// New assembles a plan and computes its summary.
func New(version, profile, root string, mods []Module) *Plan {
	p := &Plan{FormatVersion: FormatVersion, Version: version, Profile: profile, Root: root, Modules: mods}
	for _, m := range mods {
		for _, c := range m.Changes {
			switch c.Action {
			case module.Create:
				p.Summary.Create++
			case module.Update:
				p.Summary.Update++
			case module.Delete:
				p.Summary.Delete++
			case module.Replace:
				p.Summary.Replace++
			}
		}
	}
	return p
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return p.Summary.Total() == 0 }

// Addresses lists every change's address, in order.
func (p *Plan) Addresses() []string {
	var out []string
	for _, m := range p.Modules {
		for _, c := range m.Changes {
			out = append(out, c.Address)
		}
	}
	return out
}

// Risks lists every module's risks, in order: drift that apply cannot fix.
func (p *Plan) Risks() []module.Risk {
	var out []module.Risk
	for _, m := range p.Modules {
		out = append(out, m.Risks...)
	}
	return out
}

// Drifted reports whether the machine does not match the profile: a change
// is due, or a risk weakens what the profile promises.
func (p *Plan) Drifted() bool { return !p.Empty() || len(p.Risks()) > 0 }

// DriftAddresses are the changes' and the risks' addresses.
func (p *Plan) DriftAddresses() []string {
	out := p.Addresses()
	for _, r := range p.Risks() {
		if !slices.Contains(out, r.Address) {
			out = append(out, r.Address)
		}
	}
	return out
}
