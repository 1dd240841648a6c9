package iri

import (
	"strings"
)

// iniDoc is an ini file kept as its lines, byte for byte. Editing a key
// rewrites only the value bytes of that key's line; inserting a key adds one
// line; every other line, comment and blank stays exactly as it was.
//
// The syntax is what IRI's ini reader accepts: `[SECTION]` headers, `KEY =
// value` or `KEY: value` lines, `#` and `;` comments on their own lines. A
// key set twice counts once, with its last value (the last line wins).
type iniDoc struct {
	lines []iniLine
	eol   string // the file's line ending, "\n" unless it uses "\r\n"
}

type iniLine struct {
	text    string // without the line ending
	eol     string // "\n", "\r\n" or "" (last line without one)
	section string // section a key belongs to; a header's own name
	header  bool
	key     string // "" unless a key line
	// value bounds within text (for key lines)
	valStart, valEnd int
}

// parseINI splits data into lines; it never fails: a line it does not
// understand is kept as it is and ignored.
func parseINI(data []byte) *iniDoc {
	d := &iniDoc{eol: "\n"}
	s := string(data)
	if i := strings.IndexByte(s, '\n'); i > 0 && s[i-1] == '\r' {
		d.eol = "\r\n"
	}
	section := ""
	for len(s) > 0 {
		var l iniLine
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l.text, l.eol, s = s[:i], "\n", s[i+1:]
			if strings.HasSuffix(l.text, "\r") {
				l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
			}
		} else {
			l.text, s = s, ""
		}
		section = l.classify(section)
		d.lines = append(d.lines, l)
	}
	return d
}

// classify fills in what the line is and returns the section after it.
func (l *iniLine) classify(section string) string {
	t := strings.TrimSpace(l.text)
	switch {
	case t == "" || t[0] == '#' || t[0] == ';':
	case t[0] == '[':
		if end := strings.IndexByte(t, ']'); end > 0 {
			section = strings.TrimSpace(t[1:end])
			l.header = true
		}
	default:
		sep := strings.IndexAny(l.text, "=:")
		if sep <= 0 {
			break
		}
		key := strings.TrimSpace(l.text[:sep])
		if key == "" {
			break
		}
		l.key = key
		start := sep + 1
		for start < len(l.text) && (l.text[start] == ' ' || l.text[start] == '\t') {
			start++
		}
		l.valStart = start
		l.valEnd = start + len(strings.TrimRight(l.text[start:], " \t"))
	}
	l.section = section
	return section
}

// bytes renders the document.
func (d *iniDoc) bytes() []byte {
	var b strings.Builder
	for _, l := range d.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// find returns the index of the last line setting key in section, and how
// many lines set it.
func (d *iniDoc) find(section, key string) (last, count int) {
	last = -1
	for i, l := range d.lines {
		if l.key == key && l.section == section {
			last, count = i, count+1
		}
	}
	return last, count
}

// get returns key's value in section (the last one), if set.
func (d *iniDoc) get(section, key string) (string, bool) {
	i, _ := d.find(section, key)
	if i < 0 {
		return "", false
	}
	l := d.lines[i]
	return l.text[l.valStart:l.valEnd], true
}

// set gives key the value in section: in place on the line that sets it
// (the last one), else as a new line at the end of the section, else in a
// new section at the end of the file.
func (d *iniDoc) set(section, key, value string) {
	if i, _ := d.find(section, key); i >= 0 {
		l := &d.lines[i]
		l.text = l.text[:l.valStart] + value + l.text[l.valEnd:]
		l.valEnd = l.valStart + len(value)
		return
	}
	newLine := iniLine{text: key + " = " + value, eol: d.eol, section: section, key: key}
	newLine.valStart = len(key) + 3
	newLine.valEnd = newLine.valStart + len(value)
	after := -1 // the section's last key line, or its last header
	for i, l := range d.lines {
		if l.section == section && (l.header || l.key != "") {
			after = i
		}
	}
	if after < 0 {
		if section != "" {
			d.appendLine(iniLine{text: "[" + section + "]", eol: d.eol, section: section, header: true}, true)
		}
		d.appendLine(newLine, false)
		return
	}
	if d.lines[after].eol == "" {
		d.lines[after].eol = d.eol
		newLine.eol = "" // keep the file's "no newline at the end"
	}
	d.lines = append(d.lines[:after+1], append([]iniLine{newLine}, d.lines[after+1:]...)...)
}

// appendLine adds a line at the end, terminating the previous last line
// first; blankBefore separates a new section from what precedes it.
func (d *iniDoc) appendLine(l iniLine, blankBefore bool) {
	if n := len(d.lines); n > 0 {
		if d.lines[n-1].eol == "" {
			d.lines[n-1].eol = d.eol
		}
		if blankBefore && strings.TrimSpace(d.lines[n-1].text) != "" {
			d.lines = append(d.lines, iniLine{eol: d.eol, section: d.lines[n-1].section})
		}
	}
	d.lines = append(d.lines, l)
}
