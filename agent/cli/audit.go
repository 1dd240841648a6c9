package cli

// ExitFailedControls is audit's exit code when some control fails (as
// drift's and plan -detailed-exitcode's 2: the machine is not as wanted).
const ExitFailedControls = ExitChanges

// runAudit judges the machine against CIS Debian 12, dev-sec's
// ssh-baseline, ssh-audit and harden's own controls, from live state.
// The profile says which modules take part and what they look at (the
// node's unit, the firewall's table); the verdicts are the benchmarks'.
func runAudit(io IO, args []string) int {
	var o options
	fs := newFlagSet(io, "audit", "[flags]",
		"Judge this machine against the benchmarks (CIS Debian Linux 12, dev-sec ssh-baseline, ssh-audit)\n"+
			"and harden's own controls, from what it really does. Every control shows pass, fail or n/a\n"+
			"with the benchmark rows it answers; those harden does not manage are marked. Changes nothing.\n"+
			"Exit 0: every control passes; 2: some fail; 1: the audit could not run.")
	o.register(fs, true)
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	_, e, ok := o.start(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := interruptContext(io.Err, nothingChanged)
	defer cancel()
	a, err := e.Audit(ctx)
	if err != nil {
		return fail(io, err)
	}
	if o.json {
		emitJSON(io, a)
	} else if err := o.planView(io).text.Audit(io.Out, a); err != nil {
		return fail(io, err)
	}
	if a.Failed() {
		return ExitFailedControls
	}
	return ExitOK
}
