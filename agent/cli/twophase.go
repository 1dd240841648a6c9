package cli

import (
	"context"
	"fmt"
	"slices"

	"harden/agent/confirm"
	"harden/agent/engine"
	"harden/agent/plan"
	"harden/agent/profile"
	"harden/modules/host"
	"harden/modules/module"
)

// livePorter is the sshd module's view of its ports.
type livePorter interface {
	Ports() []int
	LivePorts(ctx context.Context, h *host.Host) ([]int, error)
}

// holdOldSSHPorts starts a two-phase port move: when the profile moves
// sshd off the ports it listens on now, sshd and the firewall keep those
// ports too, until `harden confirm` (from a session on a new port) applies
// the profile again without them. It returns the held and the final ports.
// Offline systems have no session to keep: nothing is held there.
func holdOldSSHPorts(ctx context.Context, h *host.Host, e *engine.Engine) (held, final []int, err error) {
	if h.Offline() {
		return nil, nil, nil
	}
	sshd := sshdOf(e)
	if sshd == nil {
		return nil, nil, nil
	}
	if final = sshd.Ports(); len(final) == 0 {
		return nil, nil, nil // the profile leaves the port alone
	}
	live, err := sshd.LivePorts(ctx, e.Host)
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
	for _, m := range e.Modules {
		if h, ok := m.(module.SSHPortHolder); ok {
			h.HoldSSHPorts(held)
		}
	}
	return held, final, nil
}

func sshdOf(e *engine.Engine) livePorter {
	for _, m := range e.Modules {
		if lp, ok := m.(livePorter); ok && m.Name() == "sshd" {
			return lp
		}
	}
	return nil
}

// refuseUnconfirmedMove refuses `apply -no-confirm` over SSH when the
// profile moves sshd off the port this session came in on: nothing would
// keep the old port, and nothing would bring it back if the new one does
// not let anyone in.
func refuseUnconfirmedMove(h *host.Host, e *engine.Engine) error {
	port, onSSH := sessionPort(h.Getenv("SSH_CONNECTION"))
	sshd := sshdOf(e)
	if !onSSH || h.Offline() || sshd == nil {
		return nil
	}
	return unconfirmedMove(port, sshd.Ports())
}

func unconfirmedMove(port int, final []int) error {
	if len(final) == 0 || slices.Contains(final, port) {
		return nil
	}
	to := confirm.JoinPorts(final)
	return fmt.Errorf("-no-confirm would move SSH off port %d, the port of this session, with no way back if port %s "+
		"does not let you in. Apply without -no-confirm: sshd and the firewall keep port %d as well, and a rollback "+
		"is armed; then run `harden confirm` from a NEW SSH connection on port %s, which closes port %d",
		port, to, port, to, port)
}

// applySecondPhase applies the pending run's profile again without the held
// ports: the operator proved the new port works by confirming from it.
func applySecondPhase(ctx context.Context, io IO, s *session, p *confirm.Pending) error {
	o := &options{vars: p.Profile.Vars, varFiles: p.Profile.VarFiles, targets: p.Profile.Targets, root: "/"}
	if !s.decode(io, o, profile.Source{Name: p.Profile.Name, Bytes: p.Profile.Source}) {
		return fmt.Errorf("the profile of run %s no longer loads", p.Run)
	}
	e, err := s.engine(o.targets)
	if err != nil {
		return err
	}
	plan, err := e.Plan(ctx)
	if err != nil {
		return err
	}
	if plan.Empty() {
		return nil
	}
	run, err := e.Apply(ctx, plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Closed the old SSH port %s (run %s; undo with: harden rollback %s).\n",
		confirm.JoinPorts(p.HeldPorts), run.ID, run.ID)
	return nil
}

// sshAfter is the plan's record of sshd's ports once it is applied and
// confirmed (nil when the profile leaves the port alone).
func sshAfter(held, final []int) *plan.SSH {
	if len(final) == 0 {
		return nil
	}
	return &plan.SSH{Ports: final, HeldPorts: held}
}
