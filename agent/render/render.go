// Package render turns a plan into what a person or a program reads: text
// in the manner of Terraform (with unified diffs for files), or JSON. It is
// the only place plans are formatted; modules only produce data.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"harden/agent/plan"
	"harden/modules/module"
)

// JSON writes the plan as indented JSON (schema: plan.Plan, versioned by
// format_version).
func JSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// Text writes the plan for a person.
func Text(w io.Writer, p *plan.Plan) error {
	tw := &textWriter{w: w}
	tw.linef("Profile: %s", p.Profile)
	if p.Root != "/" {
		tw.linef("Root: %s (offline system: no live state read, no services touched)", p.Root)
	}
	tw.notes(p)
	if p.Empty() {
		tw.linef("")
		if len(p.Risks()) > 0 {
			tw.linef("No changes. The machine matches the profile, except for what only you can change (below).")
		} else {
			tw.linef("No changes. The machine matches the profile.")
		}
		tw.warnings(p)
		return tw.err
	}
	tw.linef("")
	tw.linef("harden will make the following changes:")
	for _, m := range p.Modules {
		for _, c := range m.Changes {
			tw.change(c)
		}
	}
	tw.warnings(p)
	tw.linef("")
	s := p.Summary
	tw.linef("Plan: %d to create, %d to update, %d to replace, %d to delete.", s.Create, s.Update, s.Replace, s.Delete)
	return tw.err
}

type textWriter struct {
	w   io.Writer
	err error
}

func (tw *textWriter) linef(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = fmt.Fprintf(tw.w, format+"\n", args...)
	}
}

var symbols = map[module.Action]string{
	module.Create: "+", module.Update: "~", module.Delete: "-", module.Replace: "-/+",
}

var verbs = map[module.Action]string{
	module.Create: "created", module.Update: "updated", module.Delete: "deleted", module.Replace: "replaced",
}

func (tw *textWriter) change(c module.Change) {
	tw.linef("")
	tw.linef("  # %s will be %s", c.Address, verbs[c.Action])
	tw.linef("  %s %s", symbols[c.Action], c.Address)
	width := 0
	for _, f := range c.Fields {
		width = max(width, len(f.Name))
	}
	for _, f := range c.Fields {
		tw.linef("      %s%-*s = %s", fieldSymbol(f), width, f.Name, fieldValue(f))
	}
	if c.Before != "" || c.After != "" {
		tw.diff(c)
	}
	for _, e := range c.Effects {
		tw.linef("      => %s", e)
	}
	for _, warn := range c.Warnings {
		tw.linef("      ! %s", warn)
	}
}

func fieldSymbol(f module.Field) string {
	switch {
	case f.BeforeUnset:
		return "+ "
	case f.AfterUnset:
		return "- "
	default:
		return "~ "
	}
}

func fieldValue(f module.Field) string {
	switch {
	case f.BeforeUnset:
		return quote(f.After)
	case f.AfterUnset:
		return quote(f.Before) + " -> (unset)"
	default:
		return quote(f.Before) + " -> " + quote(f.After)
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// diff shows a text change as a unified diff with three lines of context.
func (tw *textWriter) diff(c module.Change) {
	d := udiff.Unified("before", "after", ensureNewline(c.Before), ensureNewline(c.After))
	for _, line := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
		if line == "" {
			continue
		}
		tw.linef("      %s", line)
	}
}

func ensureNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

func (tw *textWriter) notes(p *plan.Plan) {
	for _, m := range p.Modules {
		for _, n := range m.Notes {
			tw.linef("Note (%s): %s", m.Name, n)
		}
	}
}

func (tw *textWriter) warnings(p *plan.Plan) {
	var lines []string
	for _, m := range p.Modules {
		for _, w := range m.Warnings {
			lines = append(lines, fmt.Sprintf("%s: %s", m.Name, w))
		}
	}
	for _, r := range p.Risks() {
		lines = append(lines, fmt.Sprintf("%s: %s", r.Address, r.Message))
	}
	if len(lines) == 0 {
		return
	}
	sort.Strings(lines)
	tw.linef("")
	tw.linef("Warnings:")
	for _, l := range lines {
		tw.linef("  - %s", l)
	}
}
