package cli

// apply in three parts, as Terraform's command/arguments and command/views
// split a command: its arguments (parseApply), what it does (applyArgs.run:
// plan, decide, change), and how that reads (applyView: text with a prompt
// for a person, one JSON document for a program).

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"harden/agent/access"
	"harden/agent/plan"
	"harden/agent/store"
)

// applyArgs are apply's command line.
type applyArgs struct {
	options
	autoApprove, noConfirm bool
	window                 time.Duration
}

func runApply(io IO, args []string) int {
	a, code, ok := parseApply(io, args)
	if !ok {
		return code
	}
	var v applyView = &textApplyView{io: io, plans: a.planView(io)}
	if a.json {
		v = jsonApplyView{io: io}
	}
	return a.run(io, v)
}

// parseApply reads apply's flags; ok is false when apply must stop with code.
func parseApply(io IO, args []string) (a *applyArgs, code int, ok bool) {
	a = &applyArgs{}
	fs := newFlagSet(io, "apply", "[flags]",
		"Show the plan, ask for confirmation, make the changes, then read the machine again:\n"+
			"anything left is an error and every change is undone. Backups go to /var/lib/harden/runs/<id>.\n\n"+
			"An apply that changes sshd or the firewall is commit-confirmed: a rollback is armed first and\n"+
			"runs after -confirm-timeout unless `harden confirm` arrives from a new SSH session.")
	a.register(fs, true)
	a.view.registerDiff(fs)
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "apply without asking (scripts, cloud-init)")
	fs.BoolVar(&a.noConfirm, "no-confirm", false, "do not arm the automatic rollback (cloud-init, consoles)")
	fs.DurationVar(&a.window, "confirm-timeout", access.DefaultWindow, "`DURATION` within which 'harden confirm' must arrive")
	if code, ok := parseFlags(fs, io, args); !ok {
		return nil, code, false
	}
	if a.json && !a.autoApprove {
		return nil, fail(io, fmt.Errorf("apply -json needs -auto-approve (there is no one to ask)")), false
	}
	return a, 0, true
}

// run plans, asks through the view, applies and reports.
func (a *applyArgs) run(io IO, v applyView) int {
	s, e, ok := a.start(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := interruptContext(io.Err, fmt.Sprintf("The apply may be half done: `%s` undoes it "+
		"(it takes the interrupted run).", commandLine(a.root, "rollback")))
	defer cancel()
	lock, ok := lockMachine(ctx, io, s, "apply", lockWait)
	if !ok {
		return ExitError
	}
	defer lock.Release()
	if err := e.CheckInterrupted(); err != nil {
		return fail(io, withRollbackHint(err, a.root))
	}
	var held, final []int
	var err error
	if !a.noConfirm {
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
		return v.result(newApplyResult(a.root, p, nil, nil, nil), nil)
	}
	if err := v.plan(p); err != nil {
		return fail(io, err)
	}
	guarded, err := commitConfirmed(e, s, &a.options, p, a.noConfirm, a.window, held, final)
	if err != nil {
		return fail(io, err)
	}
	if !a.autoApprove && !v.approve() {
		v.cancelled()
		return ExitError
	}
	run, err := e.Apply(ctx, p)
	var pending *access.Pending
	if guarded {
		pending = settleConfirm(s, run, err)
	}
	return v.result(newApplyResult(a.root, p, run, pending, err), err)
}

// applyResult is apply's outcome; its JSON is apply's -json document.
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

	pending *access.Pending // for the text view's hint
}

// pendingResult is what a caller needs of a pending confirmation: which
// run rolls back, and when, unless confirmed from a new session.
type pendingResult struct {
	Run      string    `json:"run"`
	Deadline time.Time `json:"deadline"`
}

func newApplyResult(root string, p *plan.Plan, run *store.Run, pending *access.Pending, err error) applyResult {
	res := applyResult{FormatVersion: plan.FormatVersion, Plan: p, Status: "no-changes", pending: pending}
	switch {
	case run != nil:
		res.Run, res.Status, res.Backups = run.ID, run.Result.Status, e2sys(run.Dir)
		if run.Result.Status != store.StatusFailed {
			res.Undo = commandLine(root, "rollback", run.ID)
		}
	case err != nil:
		res.Status = store.StatusFailed // failed before it recorded a run
	}
	if err != nil {
		res.Error = err.Error()
	}
	if pending != nil {
		res.Confirm = &pendingResult{Run: pending.Run, Deadline: pending.Deadline}
	}
	return res
}

// applyView is how apply talks to whoever runs it.
type applyView interface {
	// plan shows the plan before anything changes.
	plan(p *plan.Plan) error
	// approve asks whether to make the changes.
	approve() bool
	cancelled()
	// result reports the outcome (err is the apply's error, if any) and
	// returns the exit code.
	result(res applyResult, err error) int
}

// textApplyView is apply for a person at a terminal.
type textApplyView struct {
	io    IO
	plans planView
	shown bool
}

func (v *textApplyView) plan(p *plan.Plan) error {
	v.shown = true
	return v.plans.show(p)
}

func (v *textApplyView) approve() bool {
	fmt.Fprint(v.io.Out, "\nDo you want to make these changes?\n  Only 'yes' will be accepted.\n\n  Enter a value: ")
	line, _ := bufio.NewReader(v.io.In).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}

func (v *textApplyView) cancelled() {
	fmt.Fprintln(v.io.Out, "\nApply cancelled; nothing was changed.")
}

func (v *textApplyView) result(res applyResult, err error) int {
	switch {
	case !v.shown:
		_ = v.plans.show(res.Plan) // nothing to change: the plan says so
	case err == nil && res.Run != "":
		fmt.Fprintf(v.io.Out, "\nApply complete: %d changes made (run %s).\nBackups and the record of this run: %s\nUndo with: %s\n",
			res.Plan.Summary.Total(), res.Run, res.Backups, res.Undo)
	}
	if res.pending != nil {
		printConfirmHint(v.io, res.pending)
	}
	if err != nil {
		return fail(v.io, err)
	}
	return ExitOK
}

// jsonApplyView is apply for a program: one document, at the end.
type jsonApplyView struct{ io IO }

func (jsonApplyView) plan(*plan.Plan) error { return nil }
func (jsonApplyView) approve() bool         { return true } // -json needs -auto-approve
func (jsonApplyView) cancelled()            {}

func (v jsonApplyView) result(res applyResult, err error) int {
	emitJSON(v.io, res)
	if err != nil {
		return fail(v.io, err)
	}
	return ExitOK
}
