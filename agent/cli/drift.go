package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/journal"

	"harden/agent/access"
	"harden/agent/plan"
	"harden/agent/render"
	"harden/agent/store"
	"harden/modules/host"
)

// driftRecord is the last drift check (/var/lib/harden/drift.json).
type driftRecord struct {
	Checked   time.Time `json:"checked"`
	Drift     bool      `json:"drift"`
	Error     string    `json:"error,omitempty"`
	Addresses []string  `json:"addresses,omitempty"`
	// Differences are the drift with its values, one line each.
	Differences []string `json:"differences,omitempty"`
	Profile     string   `json:"profile"`
}

// driftFile is the drift record in the state directory.
const driftFile = "drift.json"

// runDrift is what harden-drift.service runs: a plan that changes nothing,
// logged to the journal with the changed addresses as structured fields,
// and recorded for `harden status`.
func runDrift(io IO, args []string) int {
	var o options
	fs := newFlagSet(io, "drift", "[flags]",
		"Check whether the machine still matches the profile (a plan that changes nothing). Logs the\n"+
			"result to the journal (HARDEN_DRIFT=1, HARDEN_ADDRESSES=...) and records it for `harden status`.\n"+
			"Exit 0: no drift; 2: drift; 1: the check failed.")
	o.register(fs, true)
	o.view.registerDiff(fs)
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	s, e, ok := o.start(io)
	if !ok {
		return ExitError
	}
	ctx, cancel := interruptContext(io.Err, nothingChanged)
	defer cancel()
	rec := driftRecord{Checked: time.Now().UTC(), Profile: s.profile.Source}
	// A port move waiting for confirm is pending, not drift.
	_, _, err := access.HoldOldPorts(ctx, s.host, e.Modules)
	var p *plan.Plan
	if err == nil {
		p, err = e.Plan(ctx)
	}
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Drift, rec.Addresses, rec.Differences = p.Drifted(), p.DriftAddresses(), render.DriftLines(p)
	}
	if werr := saveDrift(s.host, rec); werr != nil {
		s.log.Warn("cannot record the drift check: " + werr.Error())
	}
	logDrift(rec)
	if p != nil {
		_ = o.planView(io).drift(p)
	}
	switch {
	case err != nil:
		return fail(io, err)
	case rec.Drift:
		fmt.Fprintf(io.Err, "harden: drift: %d differences: %s\n", len(rec.Differences), strings.Join(rec.Differences, "; "))
		return ExitChanges
	}
	fmt.Fprintln(io.Err, "harden: no drift: the machine matches the profile")
	return ExitOK
}

// logDrift sends the result to the journal with structured fields when a
// journal is there (under systemd), so `journalctl HARDEN_DRIFT=1` finds it.
func logDrift(rec driftRecord) {
	if !journal.Enabled() {
		return
	}
	fields := map[string]string{"HARDEN_DRIFT": "0", "HARDEN_PROFILE": rec.Profile}
	msg, prio := "harden: no drift", journal.PriInfo
	switch {
	case rec.Error != "":
		msg, prio = "harden: drift check failed: "+rec.Error, journal.PriErr
		fields["HARDEN_ERROR"] = rec.Error
	case rec.Drift:
		msg, prio = "harden: drift: "+strings.Join(rec.Differences, "; "), journal.PriWarning
		fields["HARDEN_DRIFT"] = "1"
		fields["HARDEN_ADDRESSES"] = strings.Join(rec.Addresses, " ")
	}
	_ = journal.Send(msg, prio, fields)
}

func saveDrift(h *host.Host, rec driftRecord) error { return store.Of(h).Save(driftFile, rec) }

// lastDrift reads the last drift check, if any.
func lastDrift(h *host.Host) (*driftRecord, error) {
	var rec driftRecord
	if found, err := store.Of(h).Load(driftFile, &rec); !found || err != nil {
		return nil, err
	}
	return &rec, nil
}

func describeDrift(rec *driftRecord) string {
	when := rec.Checked.Local().Format("2006-01-02 15:04:05 MST")
	switch {
	case rec.Error != "":
		return fmt.Sprintf("Last drift check %s: FAILED: %s", when, rec.Error)
	case rec.Drift:
		s := fmt.Sprintf("Last drift check %s: DRIFT at %s", when, strings.Join(rec.Addresses, ", "))
		for _, d := range rec.Differences {
			s += "\n  " + d
		}
		return s
	}
	return fmt.Sprintf("Last drift check %s: no drift", when)
}
