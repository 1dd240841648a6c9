// Package oneline checks operator text that harden writes into a single
// line of a config file (sshd_config, haproxy.cfg, iri.ini). A control
// character can end the line and start a directive of the operator's
// choosing on the next one; '#' turns the rest of the line into a comment.
// Either changes what the program reads from what the plan showed.
package oneline

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Check returns nil when s is safe inside one config line, else an error
// naming the first offending character and its byte position (1-based),
// worded to follow the quoted value: `holds a newline (U+000A) at byte 2`.
func Check(s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && invalidAt(s, i):
			return fmt.Errorf("holds a byte that is not UTF-8 at byte %d", i+1)
		case r == '#':
			return fmt.Errorf("holds '#' at byte %d, which starts a comment", i+1)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("holds %s (U+%04X) at byte %d", controlName(r), r, i+1)
		}
	}
	return nil
}

// controlName says which control character it is, for the common ones.
func controlName(r rune) string {
	switch r {
	case 0:
		return "a NUL"
	case '\t':
		return "a tab"
	case '\n':
		return "a newline"
	case '\v':
		return "a vertical tab"
	case '\f':
		return "a form feed"
	case '\r':
		return "a carriage return"
	case 0x1b:
		return "an escape"
	case 0x7f:
		return "a DEL"
	case 0x85, '\u2028', '\u2029':
		return "a line separator"
	}
	return "a control character"
}

// invalidAt tells a byte that is not UTF-8 from a real U+FFFD.
func invalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}
