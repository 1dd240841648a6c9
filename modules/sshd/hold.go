package sshd

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"harden/modules/host"
	"harden/modules/module"
)

// LivePorts are the ports sshd listens on now. The state it reads is
// handed to the next Read (the engine's plan right after), so a plan that
// asks for the live ports still runs `sshd -T` once.
func (m *Module) LivePorts(ctx context.Context, h *host.Host) ([]int, error) {
	st, err := m.Read(ctx, h)
	if err != nil {
		return nil, err
	}
	m.readAhead = st.(*State)
	var ports []int
	for _, v := range st.(*State).Effective["port"].Values {
		if n, err := strconv.Atoi(v); err == nil {
			ports = append(ports, n)
		}
	}
	return ports, nil
}

// HoldSSHPorts keeps sshd listening on ports besides the profile's (the
// first phase of a two-phase move); `harden confirm` applies the profile
// again without them.
func (m *Module) HoldSSHPorts(ports []int) {
	for _, p := range ports {
		v := strconv.Itoa(p)
		if !slices.Contains(m.want["port"], v) {
			m.want["port"] = append(m.want["port"], v)
			m.held = append(m.held, p)
		}
	}
}

// holdNote explains a held port in the plan.
func (m *Module) holdNote() []string {
	if len(m.held) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("two-phase port move: sshd keeps listening on %v as well until `harden confirm` "+
		"(from a session on the new port) removes it; without a confirm the rollback restores the old port", m.held)}
}

// CanCutSSHAccess: a wrong sshd config locks the operator out.
func (m *Module) CanCutSSHAccess() bool { return true }

var (
	_ module.SSHPortHolder = (*Module)(nil)
	_ module.SSHListener   = (*Module)(nil)
	_ module.AccessCutter  = (*Module)(nil)
)
