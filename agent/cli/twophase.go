package cli

import (
	"context"
	"fmt"

	"harden/agent/access"
	"harden/agent/plan"
	"harden/agent/profile"
)

// applySecondPhase applies the pending run's profile again without the held
// ports: the operator proved the new port works by confirming from it.
func applySecondPhase(ctx context.Context, io IO, s *session, p *access.Pending) error {
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
		access.JoinPorts(p.HeldPorts), run.ID, run.ID)
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
