package cli

import (
	"fmt"
	"io"

	"harden/agent/plan"
	"harden/agent/store"
)

// showResult is show's JSON document: a past run's plan and result.
type showResult struct {
	FormatVersion string       `json:"format_version"`
	Run           store.Result `json:"run"`
	Plan          *plan.Plan   `json:"plan"`
	// Backups is the run's directory; Undo the command that rolls it back
	// (for a run that is applied or was cut off).
	Backups string `json:"backups"`
	Undo    string `json:"undo,omitempty"`
}

func runShow(io IO, args []string) int {
	var o options
	fs := newFlagSet(io, "show", "[flags] [RUN-ID]",
		"Print a past run's plan and result (default: the newest run), as apply showed them; -diff shows\n"+
			"the files and rulesets it changed in full.")
	fs.StringVar(&o.root, "root", "/", "look at an offline system under `DIR`")
	fs.BoolVar(&o.json, "json", false, "print machine-readable JSON on stdout")
	o.view.registerColor(fs)
	o.view.registerDiff(fs)
	o.log.register(fs)
	words, code, ok := parseArgs(fs, io, args, 1)
	if !ok {
		return code
	}
	s, ok := o.machine(io)
	if !ok {
		return ExitError
	}
	id := ""
	if len(words) == 1 {
		id = words[0]
	}
	rec, err := store.Of(s.host).Runs().Record(id)
	if err != nil {
		return fail(io, err)
	}
	res := showResult{FormatVersion: plan.FormatVersion, Run: rec.Result, Plan: rec.Plan, Backups: e2sys(rec.Dir)}
	if st := rec.Result.Status; st == store.StatusApplied || st == store.StatusApplying {
		res.Undo = commandLine(o.root, "rollback", rec.Result.ID)
	}
	if o.json {
		emitJSON(io, res)
		return ExitOK
	}
	v := newPlanView(io, false, o.view, commandLine(o.root, "show", rec.Result.ID, "-diff"))
	return res.text(io.Out, v)
}

// text is a past run for a person: what it was, its plan, how it ended.
func (r showResult) text(w io.Writer, v planView) int {
	run := r.Run
	fmt.Fprintf(w, "Run %s: %s, %d changes, started %s", run.ID, run.Status, run.Changes,
		run.Started.Local().Format("2006-01-02 15:04:05 MST"))
	if !run.Finished.IsZero() {
		fmt.Fprintf(w, ", finished %s", run.Finished.Local().Format("15:04:05"))
	}
	fmt.Fprintln(w, ".")
	if err := v.text.Text(w, r.Plan); err != nil {
		return fail(v.io, err)
	}
	fmt.Fprintln(w)
	if run.Error != "" {
		fmt.Fprintf(w, "Error: %s\n", run.Error)
	}
	fmt.Fprintf(w, "Backups and the record of this run: %s\n", r.Backups)
	if r.Undo != "" {
		fmt.Fprintf(w, "Undo with: %s\n", r.Undo)
	}
	return ExitOK
}
