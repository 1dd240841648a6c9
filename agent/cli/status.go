package cli

import (
	"fmt"
	"io"
	"time"

	"harden/agent/access"
	"harden/agent/plan"
	"harden/agent/store"
)

// statusResult is everything `harden status` reports; its JSON is status's
// -json document.
type statusResult struct {
	FormatVersion string `json:"format_version"`
	// Pending is the run waiting for `harden confirm`, if any.
	Pending *pendingResult `json:"pending,omitempty"`
	// InProgress is the harden changing the machine right now, if any.
	InProgress *store.Holder `json:"in_progress,omitempty"`
	// Interrupted is a run cut off while applying, which apply refuses
	// to go past until it is rolled back.
	Interrupted *store.Result `json:"interrupted,omitempty"`
	// Drift is the last drift check, if any.
	Drift *driftRecord `json:"drift,omitempty"`
	// Runs are the recent runs, oldest first.
	Runs []store.Result `json:"runs"`
}

// recentRuns is how many runs status reports.
const recentRuns = 5

func runStatus(io IO, args []string) int {
	var o options
	fs := newFlagSet(io, "status", "[flags]", "Show a pending confirmation, the last drift check and the recent runs.")
	fs.StringVar(&o.root, "root", "/", "look at an offline system under `DIR`")
	fs.BoolVar(&o.json, "json", false, "print machine-readable JSON on stdout")
	o.log.register(fs)
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	s, ok := o.machine(io)
	if !ok {
		return ExitError
	}
	res, err := gatherStatus(s)
	if err != nil {
		return fail(io, err)
	}
	if o.json {
		emitJSON(io, res)
	} else {
		res.text(io.Out, o.root)
	}
	return ExitOK
}

// gatherStatus reads harden's own records; it changes nothing.
func gatherStatus(s *session) (statusResult, error) {
	res := statusResult{FormatVersion: plan.FormatVersion}
	p, err := access.Load(s.host)
	if err != nil {
		return res, err
	}
	if p != nil {
		res.Pending = &pendingResult{Run: p.Run, Deadline: p.Deadline}
	}
	st := store.Of(s.host)
	if res.InProgress, err = st.Holder(); err != nil {
		return res, err
	}
	if res.InProgress == nil {
		// A run "applying" with nobody holding the lock was interrupted.
		if res.Interrupted, err = st.Runs().Interrupted(); err != nil {
			return res, err
		}
	}
	if res.Drift, err = lastDrift(s.host); err != nil {
		return res, err
	}
	runs, err := st.Runs().List()
	if err != nil {
		return res, err
	}
	res.Runs = runs[max(0, len(runs)-recentRuns):]
	return res, nil
}

// text is status for a person.
func (r statusResult) text(w io.Writer, root string) {
	if p := r.Pending; p != nil {
		fmt.Fprintf(w, "Pending confirmation: run %s rolls back at %s (%s left) unless `harden confirm` runs.\n",
			p.Run, p.Deadline.Local().Format("2006-01-02 15:04:05 MST"), time.Until(p.Deadline).Round(time.Second))
	} else {
		fmt.Fprintln(w, "No pending confirmation.")
	}
	if r.InProgress != nil {
		fmt.Fprintf(w, "In progress: harden, %s.\n", r.InProgress)
	}
	if cut := r.Interrupted; cut != nil {
		fmt.Fprintf(w, "INTERRUPTED: run %s was cut off while applying (started %s): its changes may be half made.\n"+
			"  Apply refuses until it is rolled back: %s\n",
			cut.ID, cut.Started.Local().Format("2006-01-02 15:04:05 MST"), commandLine(root, "rollback"))
	}
	if r.Drift != nil {
		fmt.Fprintln(w, describeDrift(r.Drift))
	} else {
		fmt.Fprintln(w, "No drift check yet (enable harden-drift.timer).")
	}
	if len(r.Runs) == 0 {
		fmt.Fprintln(w, "No runs yet.")
		return
	}
	fmt.Fprintln(w, "Recent runs:")
	for _, run := range r.Runs {
		fmt.Fprintf(w, "  %s  %-11s %2d changes  %s\n", run.ID, run.Status, run.Changes, run.Profile)
	}
}
