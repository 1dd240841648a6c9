package render

import (
	"fmt"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"harden/modules/module"
)

// sourceField is the field that says where a setting's value is read from
// (sshd -T's file:line, or a default). Where harden writes the new value is
// the file change's fact, shown there; a change shows only where its old
// value came from when that was a file.
const sourceField = "source"

// inlineDiffLines is the most changed lines a text change without fields
// shows inline; a larger one is summarised in one line (Options.Diff shows
// it whole).
const inlineDiffLines = 3

// changeView is one change as text lines.
type changeView struct {
	lines []string
	// summarised: a text change is shown as one line, not as its diff.
	summarised bool
}

// change renders c. pad is the width its address takes in a column of
// one-line changes (0: none).
func (o Options) change(c module.Change, pad int) changeView {
	fields, source := splitSource(c.Fields)
	head := "  " + o.symbol(c.Action) + " " + c.Address
	if f, ok := oneLine(c, fields); ok {
		return changeView{lines: o.oneLineChange(c, head, pad, f, source)}
	}
	var v changeView
	text := c.Before != "" || c.After != ""
	var edits textStats
	if text {
		edits = countEdits(c.Before, c.After)
		head += "  " + edits.summary()
	}
	v.lines = append(v.lines, head)
	width := 0
	for _, f := range fields {
		width = max(width, len(f.Name))
	}
	for _, f := range fields {
		v.lines = append(v.lines, o.field(f, width)...)
	}
	switch {
	case !text:
	case o.Diff:
		v.lines = append(v.lines, o.diff(c)...)
	case len(fields) == 0 && edits.added+edits.removed <= inlineDiffLines:
		v.lines = append(v.lines, o.changedLines(c)...)
	default:
		v.summarised = true
	}
	return v
}

// splitSource takes the source field out of a change's fields.
func splitSource(all []module.Field) (fields []module.Field, source *module.Field) {
	for i, f := range all {
		if f.Name == sourceField {
			source = &all[i]
			continue
		}
		fields = append(fields, f)
	}
	return fields, source
}

// oneLine reports whether c fits on one line: one field, no text.
func oneLine(c module.Change, fields []module.Field) (module.Field, bool) {
	if len(fields) != 1 || c.Before != "" || c.After != "" {
		return module.Field{}, false
	}
	return fields[0], true
}

// oneLineChange is "~ sshd.setting[Port]  "22" -> "2222"": the field's
// name is left out when the address already ends in it. A list that
// changes shows its entries added and removed below.
func (o Options) oneLineChange(c module.Change, head string, pad int, f module.Field, source *module.Field) []string {
	head += strings.Repeat(" ", max(pad-len(c.Address), 0)) + "  "
	if !strings.HasSuffix(c.Address, "["+f.Name+"]") {
		head += f.Name + " = "
	}
	if d, ok := fieldList(f); ok {
		return append(o.fit(head+d.summary(), wasSetAt(source), "      "), o.listLines(d, "      ")...)
	}
	return o.fit(head+fieldValue(f), wasSetAt(source), "      ")
}

// fieldList is a field's change as a list change, for an update of a list.
func fieldList(f module.Field) (listDiff, bool) {
	if f.BeforeUnset || f.AfterUnset {
		return listDiff{}, false
	}
	return diffLists(f.Before, f.After)
}

// wasSetAt names the file an old value came from.
func wasSetAt(source *module.Field) string {
	if source == nil || !strings.HasPrefix(source.Before, "/") {
		return ""
	}
	return fmt.Sprintf("  (was set at %s)", source.Before)
}

// field is one field of a change with several: its mark, name and value;
// a list that changes shows its entries added and removed.
func (o Options) field(f module.Field, width int) []string {
	mark := "~"
	switch {
	case f.BeforeUnset:
		mark = "+"
	case f.AfterUnset:
		mark = "-"
	}
	line := fmt.Sprintf("      %s %-*s = ", o.mark(mark), width, f.Name)
	if d, ok := fieldList(f); ok {
		return append([]string{line + d.summary()}, o.listLines(d, "          ")...)
	}
	value := o.wrapValue(fieldValue(f), visibleLen(line))
	value[0] = line + value[0]
	return value
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

// textStats counts the lines a text change adds and removes.
type textStats struct {
	added, removed int
	created        bool // there was no text before
	deleted        bool // there is none after
}

func countEdits(before, after string) textStats {
	s := textStats{created: before == "", deleted: after == ""}
	for _, l := range strings.Split(unified(before, after), "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			s.added++
		case strings.HasPrefix(l, "-"):
			s.removed++
		}
	}
	return s
}

// summary is the change in one phrase: "(new, 132 lines)", "(+3 -1 lines)".
func (s textStats) summary() string {
	switch {
	case s.created:
		return fmt.Sprintf("(new, %s)", lines(s.added))
	case s.deleted:
		return fmt.Sprintf("(%s removed)", lines(s.removed))
	}
	return fmt.Sprintf("(+%d -%d lines)", s.added, s.removed)
}

func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

func unified(before, after string) string {
	return udiff.Unified("before", "after", ensureNewline(before), ensureNewline(after))
}

func ensureNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// diff is a text change as a unified diff with three lines of context.
func (o Options) diff(c module.Change) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(unified(c.Before, c.After), "\n"), "\n") {
		if line != "" {
			out = append(out, "      "+o.diffLine(line))
		}
	}
	return out
}

// changedLines are a small text change's added and removed lines alone.
func (o Options) changedLines(c module.Change) []string {
	var out []string
	for _, line := range strings.Split(unified(c.Before, c.After), "\n") {
		if strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "---") {
			continue
		}
		if strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			out = append(out, "      "+o.diffLine(line))
		}
	}
	return out
}

func (o Options) diffLine(line string) string {
	switch {
	case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		return o.paint(bold, line)
	case strings.HasPrefix(line, "+"):
		return o.paint(green, line)
	case strings.HasPrefix(line, "-"):
		return o.paint(red, line)
	case strings.HasPrefix(line, "@@"):
		return o.paint(cyan, line)
	}
	return line
}
