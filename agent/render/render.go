// Package render turns a plan into what a person or a program reads: text
// in the manner of Terraform, or JSON. It is the only place plans are
// formatted; modules only produce data.
//
// The text is meant to be read in one screen: one line per setting, lists
// shown as the entries added and removed, a file or ruleset summarised in
// one line (Options.Diff shows its diff), every side effect, note and
// warning once, gathered after the changes.
package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"harden/agent/internal/jsondoc"
	"harden/agent/plan"
	"harden/modules/module"
)

// JSON writes the plan as indented JSON (schema: plan.Plan, versioned by
// format_version).
func JSON(w io.Writer, p *plan.Plan) error { return jsondoc.Write(w, p) }

// Text writes the plan for a person, without colour or full diffs.
func Text(w io.Writer, p *plan.Plan) error { return Options{}.Text(w, p) }

// Text writes the plan for a person.
func (o Options) Text(w io.Writer, p *plan.Plan) error {
	tw := &textWriter{w: w}
	tw.line("Profile: " + p.Profile)
	if p.Root != "/" {
		tw.line(fmt.Sprintf("Root: %s (offline system: no live state read, no services touched)", p.Root))
	}
	if p.Empty() {
		tw.line("")
		if len(p.Risks()) > 0 {
			tw.line("No changes. The machine matches the profile, except for what only you can change (below).")
		} else {
			tw.line("No changes. The machine matches the profile.")
		}
		o.afterword(tw, p)
		return tw.err
	}
	tw.line("")
	tw.line(o.legend(p))
	tw.line("")
	tw.line("harden will make the following changes:")
	summarised := o.changes(tw, p)
	o.afterword(tw, p)
	tw.line("")
	s := p.Summary
	tw.line(o.paint(bold, fmt.Sprintf("Plan: %d to create, %d to update, %d to replace, %d to delete.",
		s.Create, s.Update, s.Replace, s.Delete)))
	if summarised && o.DiffHint != "" {
		tw.line(fmt.Sprintf("Files and rulesets are summarised in one line; `%s` shows their diffs.", o.DiffHint))
	}
	return tw.err
}

// legend names the marks the plan uses, as Terraform's does.
func (o Options) legend(p *plan.Plan) string {
	words := map[module.Action]string{module.Create: "create", module.Update: "update in place",
		module.Delete: "delete", module.Replace: "replace"}
	var used []string
	for _, a := range []module.Action{module.Create, module.Update, module.Delete, module.Replace} {
		for _, m := range p.Modules {
			if slices.ContainsFunc(m.Changes, func(c module.Change) bool { return c.Action == a }) {
				used = append(used, o.symbol(a)+" "+words[a])
				break
			}
		}
	}
	return "Symbols: " + strings.Join(used, ", ")
}

// changes writes every module's changes, a blank line between modules;
// the one-line changes of a module share one column. It reports whether
// a text change was summarised.
func (o Options) changes(tw *textWriter, p *plan.Plan) bool {
	summarised := false
	for _, m := range p.Modules {
		if len(m.Changes) == 0 {
			continue
		}
		tw.line("")
		pad := 0
		for _, c := range m.Changes {
			if fields, _ := splitSource(c.Fields); len(fields) == 1 && c.Before == "" && c.After == "" {
				pad = max(pad, len(c.Address))
			}
		}
		for _, c := range m.Changes {
			v := o.change(c, min(pad, 44))
			summarised = summarised || v.summarised
			for _, l := range v.lines {
				tw.line(l)
			}
		}
	}
	return summarised
}

// afterword gathers what the changes imply: side effects, notes, warnings
// and risks, each once.
func (o Options) afterword(tw *textWriter, p *plan.Plan) {
	if effects := Effects(p); len(effects) > 0 {
		tw.line("")
		tw.lines(o.paragraph("Side effects, in order: " + strings.Join(effects, "; ")))
	}
	var notes []string
	for _, m := range p.Modules {
		for _, n := range m.Notes {
			notes = append(notes, m.Name+": "+n)
		}
	}
	if len(notes) > 0 {
		tw.line("")
		tw.line("Notes:")
		for _, n := range notes {
			tw.lines(o.bullet(n))
		}
	}
	if warnings := Warnings(p); len(warnings) > 0 {
		tw.line("")
		tw.line(o.paint(bold+yellow, "Warnings:"))
		for _, w := range warnings {
			tw.lines(o.bullet(w))
		}
	}
}

// Effects are the plan's side effects (reloads, restarts, installs), each
// once, in the order apply meets them.
func Effects(p *plan.Plan) []string {
	var out []string
	for _, m := range p.Modules {
		for _, c := range m.Changes {
			for _, e := range c.Effects {
				if !slices.Contains(out, e) {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// Warnings are every warning of the plan, prefixed with where it comes
// from: the modules' own, the changes', then the risks only the operator
// can remove.
func Warnings(p *plan.Plan) []string {
	var out []string
	for _, m := range p.Modules {
		for _, w := range m.Warnings {
			out = append(out, m.Name+": "+w)
		}
		for _, c := range m.Changes {
			for _, w := range c.Warnings {
				out = append(out, c.Address+": "+w)
			}
		}
	}
	for _, r := range p.Risks() {
		out = append(out, r.Address+": "+r.Message)
	}
	return out
}

type textWriter struct {
	w   io.Writer
	err error
}

func (tw *textWriter) line(s string) {
	if tw.err == nil {
		_, tw.err = io.WriteString(tw.w, s+"\n")
	}
}

func (tw *textWriter) lines(ls []string) {
	for _, l := range ls {
		tw.line(l)
	}
}
