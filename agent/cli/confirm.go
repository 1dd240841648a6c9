package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"harden/agent/access"
	"harden/agent/engine"
	"harden/agent/plan"
	"harden/agent/store"
)

// commitConfirmed decides whether an apply is commit-confirmed (it changes
// what can cut SSH access, on this machine, without -no-confirm). If so it
// refuses while another run waits for its confirmation, and makes the
// engine arm a rollback before it changes anything.
func commitConfirmed(e *engine.Engine, s *session, o *options, p *plan.Plan, noConfirm bool,
	window time.Duration, held, final []int) (bool, error) {
	if noConfirm || s.host.Offline() || !access.NeedsConfirm(e.Modules, p) {
		return false, nil
	}
	if err := access.CheckNonePending(s.host); err != nil {
		return false, err
	}
	e.BeforeChanges = func(ctx context.Context, run *store.Run) error {
		p := &access.Pending{Run: run.ID, HeldPorts: held, FinalPorts: final, Profile: access.Profile{
			Name: s.source.Name, Source: s.source.Bytes, Vars: o.vars, VarFiles: o.varFiles, Targets: o.targets,
		}}
		return access.Arm(ctx, s.host, p, window)
	}
	return true, nil
}

// settleConfirm ends a commit-confirmed apply: a failed one disarms its
// own rollback (its changes are undone already); a finished one records
// when it finished (a confirm must come over a connection made later) and
// returns the pending confirmation to report.
func settleConfirm(s *session, run *store.Run, err error) *access.Pending {
	if run == nil {
		return nil
	}
	if err != nil {
		_ = access.Disarm(context.Background(), s.host, run.ID)
		return nil
	}
	if err := access.MarkApplied(s.host, run.ID); err != nil {
		s.log.Error("cannot record the end of the apply; `harden confirm` will be refused and the change rolled "+
			"back at the deadline", zap.Error(err))
	}
	pending, _ := access.Load(s.host)
	return pending
}

func printConfirmHint(io IO, p *access.Pending) {
	port := ""
	if len(p.FinalPorts) > 0 {
		port = fmt.Sprintf(" on port %s", access.JoinPorts(p.FinalPorts))
	}
	fmt.Fprintf(io.Out, "\nThis apply changed SSH or the firewall. To keep it, open a NEW SSH connection%s (not a\n"+
		"shell of this one: it must show that the new settings let you in) and run `harden confirm` there\n"+
		"before %s (in %s). Otherwise everything is rolled back at %s, also across a reboot.\n",
		port, p.Deadline.Local().Format("15:04:05 MST"), time.Until(p.Deadline).Round(time.Second),
		p.Deadline.Local().Format("15:04:05"))
}

func runConfirm(io IO, args []string) int {
	var o options
	var force bool
	fs := newFlagSet(io, "confirm", "[flags]",
		"Keep the last apply: disarm its rollback timer. Run it over a NEW SSH connection, made after\n"+
			"the apply finished, which proves the new settings let you in (a console may confirm too).")
	o.log.register(fs)
	fs.BoolVar(&force, "force", false, "confirm even from a session that is not on the new SSH port "+
		"(it must still be a connection made after the apply)")
	fs.BoolVar(&o.json, "json", false, "print machine-readable JSON on stdout")
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	o.root = "/"
	s, ok := o.machine(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := signalContext()
	defer cancel()
	lock, ok := lockMachine(ctx, io, s, "confirm", lockWait)
	if !ok {
		return ExitError
	}
	defer lock.Release()
	p, err := access.Load(s.host)
	if err != nil {
		return fail(io, err)
	}
	if p == nil {
		return finishConfirm(io, o.json, confirmResult{Status: "nothing-pending"}, nil)
	}
	origin, err := access.OriginOf("/proc", os.Getpid(), s.host.Getenv("SSH_CONNECTION"))
	if err != nil {
		return fail(io, fmt.Errorf("confirm: where this command comes from: %w", err))
	}
	if err := p.Admit(origin, s.host.Getenv("SSH_CONNECTION"), force); err != nil {
		return finishConfirm(io, o.json, confirmResult{Status: "refused", Run: p.Run}, fmt.Errorf("confirm refused: %w", err))
	}
	if err := access.Disarm(ctx, s.host, p.Run); err != nil {
		return fail(io, err)
	}
	res := confirmResult{Status: "confirmed", Run: p.Run}
	if !o.json {
		fmt.Fprintf(io.Out, "Run %s confirmed; the rollback timer is disarmed.\n", p.Run)
	}
	if len(p.HeldPorts) > 0 {
		if err := applySecondPhase(ctx, textOnly(io, o.json), s, p); err != nil {
			return finishConfirm(io, o.json, res, fmt.Errorf("closing the old SSH port %s: %w (the new port "+
				"stays open; run `harden apply` again)", access.JoinPorts(p.HeldPorts), err))
		}
		res.ClosedPorts = p.HeldPorts
	}
	return finishConfirm(io, o.json, res, nil)
}

// confirmResult is confirm's JSON output.
type confirmResult struct {
	FormatVersion string `json:"format_version"`
	// Status is "confirmed" (the rollback is disarmed, also when Error says
	// the old port could not be closed), "refused" (Error says why and what
	// to do; the rollback stays armed) or "nothing-pending".
	Status string `json:"status"`
	Run    string `json:"run,omitempty"`
	// ClosedPorts are the old SSH ports the confirm closed (two-phase move).
	ClosedPorts []int  `json:"closed_ports,omitempty"`
	Error       string `json:"error,omitempty"`
}

// finishConfirm reports confirm's outcome; its text was printed as it went.
func finishConfirm(io IO, asJSON bool, res confirmResult, err error) int {
	if err != nil {
		res.Error = err.Error()
	}
	if asJSON {
		res.FormatVersion = plan.FormatVersion
		emitJSON(io, res)
	} else if res.Status == "nothing-pending" {
		fmt.Fprintln(io.Out, "Nothing to confirm: no apply is waiting for confirmation.")
	}
	if err != nil {
		return fail(io, err)
	}
	return ExitOK
}

// textOnly keeps a step's text off stdout when stdout carries JSON.
func textOnly(io IO, asJSON bool) IO {
	if asJSON {
		io.Out = discard
	}
	return io
}
