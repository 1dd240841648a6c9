package cli

import (
	"fmt"
	"strings"

	"harden/agent/access"

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

// e2sys shows a run directory as the system sees it.
func e2sys(dir string) string {
	if i := strings.Index(dir, store.Dir); i > 0 {
		return dir[i:] + " (under -root " + dir[:i] + ")"
	}
	return dir
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
