package render

import (
	"strings"

	"github.com/mitchellh/go-wordwrap"

	"harden/modules/module"
)

// Options shape the text a person reads.
type Options struct {
	// Color marks what changes with colour, as Terraform does: green
	// create, yellow update, red delete and replace. Only for a terminal:
	// the caller decides (never for JSON or a pipe; -no-color, NO_COLOR).
	Color bool
	// Diff shows every text change (a file, a ruleset) as a unified diff
	// instead of a one-line summary.
	Diff bool
	// Width is the terminal's: long notes, warnings, lists and values wrap
	// to it. 0 wraps nothing (a pipe, a log: one line per item).
	Width int
	// DiffHint is the command that shows the full diffs ("harden plan
	// -diff"), named under a plan that summarised some; "" names none.
	DiffHint string
}

// SGR sequences: the four colours a plan uses, and bold.
const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	cyan   = "\x1b[36m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// paint wraps s in a colour when colour is on.
func (o Options) paint(colour, s string) string {
	if !o.Color || s == "" {
		return s
	}
	return colour + s + reset
}

var actionColours = map[module.Action]string{
	module.Create: green, module.Update: yellow, module.Delete: red, module.Replace: red,
}

var symbols = map[module.Action]string{
	module.Create: "+", module.Update: "~", module.Delete: "-", module.Replace: "-/+",
}

// symbol is an action's mark, in its colour.
func (o Options) symbol(a module.Action) string { return o.paint(actionColours[a], symbols[a]) }

// mark colours a one-character mark: + green, - red, ~ yellow.
func (o Options) mark(m string) string {
	switch m {
	case "+":
		return o.paint(green, m)
	case "-":
		return o.paint(red, m)
	case "~":
		return o.paint(yellow, m)
	}
	return m
}

// wrap breaks text into lines of at most room columns (at least 30), or
// not at all without a width.
func (o Options) wrap(text string, room int) []string {
	if o.Width <= 0 {
		return []string{text}
	}
	return strings.Split(wordwrap.WrapString(text, uint(max(room, 30))), "\n")
}

// bullet wraps text as a list item: "  - " then lines indented under it.
func (o Options) bullet(text string) []string {
	lines := o.wrap(text, o.Width-4)
	for i := range lines {
		if i == 0 {
			lines[i] = "  - " + lines[i]
		} else {
			lines[i] = "    " + lines[i]
		}
	}
	return lines
}

// paragraph wraps text with the lines after the first indented.
func (o Options) paragraph(text string) []string {
	lines := o.wrap(text, o.Width-2)
	for i := 1; i < len(lines); i++ {
		lines[i] = "  " + lines[i]
	}
	return lines
}

// visibleLen is the width of s on a terminal: its runes without the
// colour sequences.
func visibleLen(s string) int {
	n, inEscape := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			inEscape = true
		case inEscape:
			inEscape = r != 'm'
		default:
			n++
		}
	}
	return n
}

// fit puts tail after line if both fit in the width, else on a line of its
// own, indented.
func (o Options) fit(line, tail, indent string) []string {
	if tail == "" {
		return []string{line}
	}
	if o.Width <= 0 || visibleLen(line)+len(tail) <= o.Width {
		return []string{line + tail}
	}
	return []string{line, indent + strings.TrimSpace(tail)}
}

// wrapValue breaks a long quoted list value after its commas, the lines
// after the first aligned under its opening quote at column col.
func (o Options) wrapValue(value string, col int) []string {
	if o.Width <= 0 || col+len(value) <= o.Width || !strings.Contains(value, ", ") {
		return []string{value}
	}
	wrapped := o.wrap(value, o.Width-col-1)
	for i := 1; i < len(wrapped); i++ {
		wrapped[i] = strings.Repeat(" ", col+1) + wrapped[i]
	}
	return wrapped
}
