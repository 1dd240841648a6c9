package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"harden/agent/plan"
	"harden/modules/module"
)

// Audit writes an audit for a person: one line per control, grouped by
// module (status, what passes, what the machine has, the benchmark rows),
// a note under the controls that need one, and a summary.
func (o Options) Audit(w io.Writer, a *plan.Audit) error {
	tw := &textWriter{w: w}
	tw.line("Profile: " + a.Profile)
	if a.Root != "/" {
		tw.line(fmt.Sprintf("Root: %s (offline system: judged from its files; no live state)", a.Root))
	}
	titleW, foundW := 0, 0
	for _, m := range a.Modules {
		for _, f := range m.Findings {
			titleW = max(titleW, min(len(f.Title)+2, 50))
			foundW = max(foundW, min(len(f.Found), 26))
		}
	}
	unmanaged := false
	for _, m := range a.Modules {
		tw.line("")
		tw.line(o.paint(bold, m.Name))
		for _, f := range m.Findings {
			tw.lines(o.finding(f, titleW, foundW))
			unmanaged = unmanaged || !f.Managed
		}
	}
	tw.line("")
	if unmanaged {
		tw.line("* harden does not manage this control: apply leaves it as it is.")
	}
	s := a.Summary
	tw.line(o.paint(bold, fmt.Sprintf("Audit: %d pass, %d fail, %d not applicable, in %s.",
		s.Pass, s.Fail, s.NotApplicable, a.Elapsed.Round(100*time.Microsecond))))
	return tw.err
}

var statusColours = map[module.Status]string{module.Pass: green, module.Fail: red, module.NotApplicable: cyan}

// finding is one control's line, and its note wrapped below it.
func (o Options) finding(f module.Finding, titleW, foundW int) []string {
	status := fmt.Sprintf("%-4s", f.Status)
	if f.Status == module.Fail {
		status = "FAIL"
	}
	title := f.Title
	if !f.Managed {
		title = "* " + title
	} else {
		title = "  " + title
	}
	found := f.Found
	if len(found) > foundW {
		found = found[:max(foundW-3, 0)] + "..."
	}
	line := fmt.Sprintf("  %s %-*s %-*s  %s", o.paint(statusColours[f.Status], status), titleW, title, foundW, found,
		module.RefList(f.Refs))
	out := []string{strings.TrimRight(line, " ")}
	if f.Note != "" {
		for _, l := range o.wrap(f.Note, o.Width-9) {
			out = append(out, "         "+l)
		}
	}
	return out
}
