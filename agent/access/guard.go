package access

import (
	"context"
	"fmt"
	"slices"

	"harden/agent/plan"
	"harden/modules/host"
	"harden/modules/module"
)

// NeedsConfirm reports whether applying p changes a module that can cut
// SSH access (one that declares module.AccessCutter).
func NeedsConfirm(mods []module.Module, p *plan.Plan) bool {
	for _, mp := range p.Modules {
		if mp.Empty() {
			continue
		}
		for _, m := range mods {
			if c, ok := m.(module.AccessCutter); ok && m.Name() == mp.Name && c.CanCutSSHAccess() {
				return true
			}
		}
	}
	return false
}

// sshListener is the run's module that runs sshd, if any.
func sshListener(mods []module.Module) module.SSHListener {
	for _, m := range mods {
		if l, ok := m.(module.SSHListener); ok {
			return l
		}
	}
	return nil
}

// HoldOldPorts starts a two-phase port move: when the profile moves sshd
// off the ports it listens on now, every module that holds SSH ports keeps
// those as well, until `harden confirm` (over a new connection on a new
// port) applies the profile again without them. It returns the held and
// the final ports. Offline systems have no session to keep: nothing is
// held there.
func HoldOldPorts(ctx context.Context, h *host.Host, mods []module.Module) (held, final []int, err error) {
	sshd := sshListener(mods)
	if h.Offline() || sshd == nil {
		return nil, nil, nil
	}
	if final = sshd.Ports(); len(final) == 0 {
		return nil, nil, nil // the profile leaves the port alone
	}
	live, err := sshd.LivePorts(ctx, h)
	if err != nil {
		return nil, nil, fmt.Errorf("read sshd's current ports: %w", err)
	}
	for _, p := range live {
		if !slices.Contains(final, p) {
			held = append(held, p)
		}
	}
	if len(held) == 0 {
		return nil, final, nil
	}
	for _, m := range mods {
		if h, ok := m.(module.SSHPortHolder); ok {
			h.HoldSSHPorts(held)
		}
	}
	return held, final, nil
}

// RefuseUnconfirmedMove refuses `apply -no-confirm` over SSH when the
// profile moves sshd off the port this session came in on: nothing would
// keep the old port, and nothing would bring it back if the new one does
// not let anyone in.
func RefuseUnconfirmedMove(h *host.Host, mods []module.Module) error {
	port, onSSH := SessionPort(h.Getenv("SSH_CONNECTION"))
	sshd := sshListener(mods)
	if !onSSH || h.Offline() || sshd == nil {
		return nil
	}
	return unconfirmedMove(port, sshd.Ports())
}

func unconfirmedMove(port int, final []int) error {
	if len(final) == 0 || slices.Contains(final, port) {
		return nil
	}
	to := JoinPorts(final)
	return fmt.Errorf("-no-confirm would move SSH off port %d, the port of this session, with no way back if port %s "+
		"does not let you in. Apply without -no-confirm: sshd and the firewall keep port %d as well, and a rollback "+
		"is armed; then run `harden confirm` from a NEW SSH connection on port %s, which closes port %d",
		port, to, port, to, port)
}
