package cli

// The views: how a verb's result reaches a person (text, coloured on a
// terminal) or a program (JSON on stdout). A verb decides what happened;
// its view decides how that reads.

import (
	"flag"
	"io"
	"os"

	"golang.org/x/term"

	"harden/agent/plan"
	"harden/agent/render"
)

// viewFlags are the flags that shape text output.
type viewFlags struct {
	noColor bool
	diff    bool
}

// registerColor adds -no-color.
func (v *viewFlags) registerColor(fs *flag.FlagSet) {
	fs.BoolVar(&v.noColor, "no-color", false, "never colour the output (as the NO_COLOR environment variable does)")
}

// registerDiff adds -diff, for verbs that show a plan.
func (v *viewFlags) registerDiff(fs *flag.FlagSet) {
	fs.BoolVar(&v.diff, "diff", false, "show files and rulesets as full unified diffs (default: one line each)")
}

// terminal returns w's file descriptor if w is a terminal.
func terminal(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// colorFor reports whether text written to w gets colour: only on a
// terminal, never with -no-color, NO_COLOR set (no-color.org) or TERM=dumb.
func colorFor(w io.Writer, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	_, tty := terminal(w)
	return tty
}

// planView shows plans: JSON for a program, text for a person.
type planView struct {
	io   IO
	json bool
	text render.Options
}

// newPlanView is the plan view of a verb's flags. hint is the command
// that shows the diffs a summary leaves out.
func newPlanView(io IO, asJSON bool, v viewFlags, hint string) planView {
	out := io.Out
	opts := render.Options{Color: colorFor(out, v.noColor), Diff: v.diff}
	if !v.diff {
		opts.DiffHint = hint
	}
	if fd, tty := terminal(out); tty {
		if width, _, err := term.GetSize(fd); err == nil && width >= 60 {
			opts.Width = min(width, 120)
		}
	}
	return planView{io: io, json: asJSON, text: opts}
}

// show writes the plan.
func (v planView) show(p *plan.Plan) error {
	if v.json {
		emitJSON(v.io, p)
		return nil
	}
	return v.text.Text(v.io.Out, p)
}

// drift writes a drift check's plan.
func (v planView) drift(p *plan.Plan) error {
	if v.json {
		emitJSON(v.io, p)
		return nil
	}
	return v.text.Drift(v.io.Out, p)
}
