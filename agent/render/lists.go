package render

import (
	"fmt"
	"slices"
	"strings"
)

// listDiff is how a comma-separated list (an algorithm list, a command
// list) changed, entry by entry.
type listDiff struct {
	added, removed []string
	kept           int
	reordered      bool     // the kept entries are in another order
	after          []string // the new list, for a change of order alone
}

// splitList reads s as a comma-separated list of words; ok is false for a
// value that is not one (a single word, or entries with spaces).
func splitList(s string) ([]string, bool) {
	if !strings.Contains(s, ",") {
		return nil, false
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || strings.ContainsAny(p, " \t") {
			return nil, false
		}
		parts[i] = p
	}
	return parts, true
}

// longWords is the length from which two space-separated values are read
// as lists of words (HostKey's paths); shorter ones ("22" -> "2222 22")
// read best whole.
const longWords = 60

// splitWords reads s as a space-separated list of at least two words.
func splitWords(s string) ([]string, bool) {
	f := strings.Fields(s)
	return f, len(f) > 1
}

// diffLists compares two values as lists. It reports ok when at least one
// side is a list and the other a list or a single word.
func diffLists(before, after string) (listDiff, bool) {
	b, bok := splitList(before)
	a, aok := splitList(after)
	if !bok && !aok && len(before)+len(after) >= longWords {
		b, bok = splitWords(before)
		a, aok = splitWords(after)
	}
	if !bok && !aok {
		return listDiff{}, false
	}
	word := func(s string) ([]string, bool) {
		s = strings.TrimSpace(s)
		return []string{s}, s != "" && !strings.ContainsAny(s, " \t")
	}
	if !bok {
		if b, bok = word(before); !bok {
			return listDiff{}, false
		}
	}
	if !aok {
		if a, aok = word(after); !aok {
			return listDiff{}, false
		}
	}
	var d listDiff
	var keptBefore, keptAfter []string
	for _, e := range b {
		if slices.Contains(a, e) {
			keptBefore = append(keptBefore, e)
		} else {
			d.removed = append(d.removed, e)
		}
	}
	for _, e := range a {
		if slices.Contains(b, e) {
			keptAfter = append(keptAfter, e)
		} else {
			d.added = append(d.added, e)
		}
	}
	d.kept = len(keptAfter)
	d.reordered = !slices.Equal(keptBefore, keptAfter)
	d.after = a
	return d, true
}

// summary is the list change in words: "2 added, 8 removed, 2 kept".
func (d listDiff) summary() string {
	var parts []string
	if len(d.added) > 0 {
		parts = append(parts, fmt.Sprintf("%d added", len(d.added)))
	}
	if len(d.removed) > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", len(d.removed)))
	}
	kept := fmt.Sprintf("%d kept", d.kept)
	if d.reordered {
		kept += " in a new order"
	}
	return strings.Join(append(parts, kept), ", ")
}

// words is the change with its entries, on one line:
// "+ a, b; - c (2 kept)".
func (d listDiff) words() string {
	var parts []string
	if len(d.added) > 0 {
		parts = append(parts, "+ "+strings.Join(d.added, ", "))
	}
	if len(d.removed) > 0 {
		parts = append(parts, "- "+strings.Join(d.removed, ", "))
	}
	kept := fmt.Sprintf("(%d kept)", d.kept)
	if d.reordered {
		kept = fmt.Sprintf("(%d kept, new order: %s)", d.kept, strings.Join(d.after, ","))
	}
	return strings.Join(append(parts, kept), "; ")
}

// listLines are the entries added and removed, wrapped, each group behind its
// mark; a change of order alone shows the new order.
func (o Options) listLines(d listDiff, indent string) []string {
	var out []string
	group := func(mark string, entries []string) {
		for i, l := range o.wrap(strings.Join(entries, ", "), o.Width-len(indent)-2) {
			lead := "  "
			if i == 0 {
				lead = o.mark(mark) + " "
			}
			out = append(out, indent+lead+l)
		}
	}
	if len(d.added) > 0 {
		group("+", d.added)
	}
	if len(d.removed) > 0 {
		group("-", d.removed)
	}
	if d.reordered && len(d.added) == 0 && len(d.removed) == 0 {
		group("~", d.after)
	}
	return out
}
