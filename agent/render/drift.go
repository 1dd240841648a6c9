package render

import (
	"fmt"
	"io"
	"strings"

	"harden/agent/plan"
	"harden/modules/module"
)

// Drift writes a plan that found drift: what the machine has now against
// what the profile asks (the changes an apply would make, with values),
// and the risks only the operator can remove.
func (o Options) Drift(w io.Writer, p *plan.Plan) error {
	tw := &textWriter{w: w}
	if !p.Drifted() {
		tw.line("No drift: the machine matches " + p.Profile + ".")
		return tw.err
	}
	tw.line("Drift: the machine no longer matches " + p.Profile + ".")
	summarised := false
	if !p.Empty() {
		tw.line("")
		tw.line(o.legend(p) + "  (values: the machine's -> the profile's)")
		tw.line("")
		tw.line(fmt.Sprintf("`harden apply` would make %d changes:", p.Summary.Total()))
		summarised = o.changes(tw, p)
	}
	o.afterword(tw, p)
	if summarised && o.DiffHint != "" {
		tw.line("")
		tw.line(fmt.Sprintf("`%s` shows the diffs of files and rulesets.", o.DiffHint))
	}
	return tw.err
}

// DriftLines are a drifted plan, one line per difference with its values,
// for a log line or a record: a change as Line shows it, a risk as its
// address and message.
func DriftLines(p *plan.Plan) []string {
	var out []string
	for _, m := range p.Modules {
		for _, c := range m.Changes {
			out = append(out, Line(c))
		}
	}
	for _, r := range p.Risks() {
		out = append(out, r.Address+": "+r.Message)
	}
	return out
}

// Line is one change in one line: its address, its fields' values (a list
// as its entries added and removed) and a text change's size.
func Line(c module.Change) string {
	fields, _ := splitSource(c.Fields)
	var parts []string
	for _, f := range fields {
		value := fieldValue(f)
		if d, ok := fieldList(f); ok {
			value = d.words()
		}
		if strings.HasSuffix(c.Address, "["+f.Name+"]") {
			parts = append(parts, value)
		} else {
			parts = append(parts, f.Name+" = "+value)
		}
	}
	if c.Before != "" || c.After != "" {
		parts = append(parts, countEdits(c.Before, c.After).summary())
	}
	line := symbols[c.Action] + " " + c.Address
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	return line
}
