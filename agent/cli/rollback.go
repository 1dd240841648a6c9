package cli

import (
	"fmt"

	"harden/agent/access"
	"harden/agent/plan"
)

func runRollback(io IO, args []string) int {
	var o options
	var pendingOnly bool
	fs := newFlagSet(io, "rollback", "[flags] [RUN-ID]",
		"Restore what an applied run replaced (byte-identical files, old unit states, custom steps\n"+
			"such as the firewall table) in reverse order, and reload the affected services.\n"+
			"Default: the last applied run. Rolling back twice is harmless.")
	fs.StringVar(&o.root, "root", "/", "operate on an offline system under `DIR`")
	fs.BoolVar(&o.json, "json", false, "print machine-readable JSON on stdout")
	o.log.register(fs)
	fs.BoolVar(&pendingOnly, "pending", false,
		"roll back only the run waiting for 'harden confirm', if any (used by the rollback timer and at boot)")
	words, code, ok := parseArgs(fs, io, args, 1)
	if !ok {
		return code
	}
	id := "" // the last applied run
	if len(words) == 1 {
		id = words[0]
	}
	// Rollback needs no profile: the run's journal says it all.
	s, ok := o.machine(io)
	if !ok {
		return ExitError
	}
	e, _ := s.engine(nil)
	ctx, cancel := interruptContext(io.Err, fmt.Sprintf("The rollback may be half done: run `%s` again.",
		commandLine(o.root, "rollback", words...)))
	defer cancel()
	lock, ok := lockMachine(ctx, io, s, "rollback", rollbackLockWait(pendingOnly))
	if !ok {
		return ExitError
	}
	defer lock.Release()
	pending, err := access.Load(s.host)
	if err != nil {
		return fail(io, err)
	}
	if pendingOnly {
		if pending == nil || (id != "" && id != pending.Run) {
			return finishRollback(io, o.json, rollbackResult{Status: "nothing-pending"})
		}
		id = pending.Run
	}
	run, err := e.Rollback(ctx, id)
	if err != nil {
		return fail(io, err)
	}
	if pending != nil && pending.Run == run.ID {
		_ = access.Disarm(ctx, s.host, run.ID)
	}
	return finishRollback(io, o.json, rollbackResult{Run: run.ID, Status: run.Result.Status})
}

// rollbackResult is rollback's JSON document.
type rollbackResult struct {
	FormatVersion string `json:"format_version"`
	Run           string `json:"run,omitempty"`
	// Status is the run's after the rollback (rolled-back; failed for a
	// run its own apply had undone), or nothing-pending with -pending.
	Status string `json:"status"`
}

func finishRollback(io IO, asJSON bool, res rollbackResult) int {
	switch {
	case asJSON:
		res.FormatVersion = plan.FormatVersion
		emitJSON(io, res)
	case res.Status == "nothing-pending":
		fmt.Fprintln(io.Out, "No unconfirmed apply to roll back.")
	default:
		fmt.Fprintf(io.Out, "Run %s is rolled back (status: %s).\n", res.Run, res.Status)
	}
	return ExitOK
}
