package firewall

import (
	"slices"

	"harden/modules/module"
)

// HoldSSHPorts keeps old SSH ports open besides sshd's new ones during the
// first phase of a two-phase port move (see module.SSHPortHolder).
func (m *Module) HoldSSHPorts(ports []int) {
	for _, p := range ports {
		if !slices.Contains(m.cfg.SSHPorts, p) {
			m.cfg.SSHPorts = append(m.cfg.SSHPorts, p)
		}
	}
}

// CanCutSSHAccess: a ruleset can drop the operator's packets.
func (m *Module) CanCutSSHAccess() bool { return true }

var (
	_ module.SSHPortHolder = (*Module)(nil)
	_ module.AccessCutter  = (*Module)(nil)
)

var _ module.RunScoped = (*Module)(nil)
