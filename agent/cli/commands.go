package cli

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"harden/agent/access"

	"harden/agent/plan"
	"harden/agent/store"
)

// nothingChanged is what a verb that only reads says when it is cut short.
const nothingChanged = "Nothing was changed."

func runPlan(io IO, args []string) int {
	var o options
	var detailed bool
	fs := newFlagSet(io, "plan", "[flags]",
		"Read the machine and show every change apply would make. Changes nothing.")
	o.register(fs, true)
	o.view.registerDiff(fs)
	fs.BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	s, e, ok := o.start(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := interruptContext(io.Err, nothingChanged)
	defer cancel()
	// Plan what a plain apply would do: a port move holds the old port
	// until confirm (so a plan over that port is not refused either).
	held, final, err := access.HoldOldPorts(ctx, s.host, e.Modules)
	if err != nil {
		return fail(io, err)
	}
	p, err := e.Plan(ctx)
	if err != nil {
		return fail(io, err)
	}
	p.SSH = sshAfter(held, final)
	if err := o.planView(io).show(p); err != nil {
		return fail(io, err)
	}
	if detailed && !p.Empty() {
		return ExitChanges
	}
	return ExitOK
}

func runApply(io IO, args []string) int {
	var o options
	var autoApprove, noConfirm bool
	var window time.Duration
	fs := newFlagSet(io, "apply", "[flags]",
		"Show the plan, ask for confirmation, make the changes, then read the machine again:\n"+
			"anything left is an error and every change is undone. Backups go to /var/lib/harden/runs/<id>.\n\n"+
			"An apply that changes sshd or the firewall is commit-confirmed: a rollback is armed first and\n"+
			"runs after -confirm-timeout unless `harden confirm` arrives from a new SSH session.")
	o.register(fs, true)
	o.view.registerDiff(fs)
	fs.BoolVar(&autoApprove, "auto-approve", false, "apply without asking (scripts, cloud-init)")
	fs.BoolVar(&noConfirm, "no-confirm", false, "do not arm the automatic rollback (cloud-init, consoles)")
	fs.DurationVar(&window, "confirm-timeout", access.DefaultWindow, "`DURATION` within which 'harden confirm' must arrive")
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	if o.json && !autoApprove {
		return fail(io, fmt.Errorf("apply -json needs -auto-approve (there is no one to ask)"))
	}
	s, e, ok := o.start(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := interruptContext(io.Err, fmt.Sprintf("The apply may be half done: `%s` undoes it "+
		"(it takes the interrupted run).", commandLine(o.root, "rollback")))
	defer cancel()
	lock, ok := lockMachine(ctx, io, s, "apply", lockWait)
	if !ok {
		return ExitError
	}
	defer lock.Release()
	if err := e.CheckInterrupted(); err != nil {
		return fail(io, withRollbackHint(err, o.root))
	}
	var held, final []int
	var err error
	if !noConfirm {
		if held, final, err = access.HoldOldPorts(ctx, s.host, e.Modules); err != nil {
			return fail(io, err)
		}
	} else if err := access.RefuseUnconfirmedMove(s.host, e.Modules); err != nil {
		return fail(io, err)
	}
	p, err := e.Plan(ctx)
	if err != nil {
		return fail(io, err)
	}
	p.SSH = sshAfter(held, final)
	if p.Empty() {
		return finishApply(io, &o, p, nil, nil, nil)
	}
	if !o.json {
		if err := o.planView(io).show(p); err != nil {
			return fail(io, err)
		}
	}
	guarded, err := commitConfirmed(e, s, &o, p, noConfirm, window, held, final)
	if err != nil {
		return fail(io, err)
	}
	if !autoApprove && !askYes(io) {
		fmt.Fprintln(io.Out, "\nApply cancelled; nothing was changed.")
		return ExitError
	}
	run, err := e.Apply(ctx, p)
	var pending *access.Pending
	if guarded {
		pending = settleConfirm(s, run, err)
	}
	code := finishApply(io, &o, p, run, pending, err)
	if pending != nil && !o.json {
		printConfirmHint(io, pending)
	}
	return code
}

// applyResult is apply's JSON output.
type applyResult struct {
	FormatVersion string     `json:"format_version"`
	Plan          *plan.Plan `json:"plan"`
	Run           string     `json:"run,omitempty"`
	// Status is the run's (applied, failed: undone) or no-changes, or
	// failed when the apply stopped before it made a run.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Undo is the command that rolls an applied run back; Backups is the
	// run's directory (the old files, its journal and record).
	Undo    string `json:"undo,omitempty"`
	Backups string `json:"backups,omitempty"`
	// Confirm is set when the apply waits for `harden confirm`.
	Confirm *pendingResult `json:"confirm,omitempty"`
}

// pendingResult is what a caller needs of a pending confirmation: which
// run rolls back, and when, unless confirmed from a new session.
type pendingResult struct {
	Run      string    `json:"run"`
	Deadline time.Time `json:"deadline"`
}

func finishApply(io IO, o *options, p *plan.Plan, run *store.Run, pending *access.Pending, err error) int {
	res := applyResult{FormatVersion: plan.FormatVersion, Plan: p, Status: "no-changes"}
	switch {
	case run != nil:
		res.Run, res.Status, res.Backups = run.ID, run.Result.Status, e2sys(run.Dir)
		if run.Result.Status != store.StatusFailed {
			res.Undo = commandLine(o.root, "rollback", run.ID)
		}
	case err != nil:
		res.Status = store.StatusFailed
	}
	if err != nil {
		res.Error = err.Error()
		if run == nil {
			res.Status = store.StatusFailed // failed before it recorded a run
		}
	}
	if pending != nil {
		res.Confirm = &pendingResult{Run: pending.Run, Deadline: pending.Deadline}
	}
	if o.json {
		emitJSON(io, res)
	} else if run == nil {
		_ = o.planView(io).show(p)
	} else if err == nil {
		fmt.Fprintf(io.Out, "\nApply complete: %d changes made (run %s).\nBackups and the record of this run: %s\nUndo with: %s\n",
			p.Summary.Total(), run.ID, res.Backups, res.Undo)
	}
	if err != nil {
		return fail(io, err)
	}
	return ExitOK
}

// e2sys shows a run directory as the system sees it.
func e2sys(dir string) string {
	if i := strings.Index(dir, store.Dir); i > 0 {
		return dir[i:] + " (under -root " + dir[:i] + ")"
	}
	return dir
}

func askYes(io IO) bool {
	fmt.Fprint(io.Out, "\nDo you want to make these changes?\n  Only 'yes' will be accepted.\n\n  Enter a value: ")
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}

// planView shows the verb's plan on stdout as its flags ask.
func (o *options) planView(io IO) planView {
	return newPlanView(io, o.json, o.view, "harden plan -diff")
}

// fail reports err on stderr (and in -json's failure document).
func fail(io IO, err error) int {
	io.rep.failed(err)
	fmt.Fprintf(io.Err, "harden: %v\n", err)
	return ExitError
}
