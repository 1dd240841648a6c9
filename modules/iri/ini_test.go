package iri

import (
	"strings"
	"testing"
)

func TestINISet(t *testing.T) {
	tests := []struct {
		name, in, key, value, want string
	}{
		{"update in place keeps spacing", "[IRI]\nPORT   =  14265   \n", "PORT", "14600", "[IRI]\nPORT   =  14600   \n"},
		{"update colon separator", "[IRI]\nPORT: 1\n", "PORT", "2", "[IRI]\nPORT: 2\n"},
		{"update empty value", "[IRI]\nAPI_HOST =\n", "API_HOST", "127.0.0.1", "[IRI]\nAPI_HOST =127.0.0.1\n"},
		{"update last of duplicates", "[IRI]\nPORT = 1\nPORT = 2\n", "PORT", "3", "[IRI]\nPORT = 1\nPORT = 3\n"},
		{"insert after last key of section", "[IRI]\nPORT = 1\n\n# trailing comment\n[OTHER]\nX = 1\n", "API_HOST", "127.0.0.1",
			"[IRI]\nPORT = 1\nAPI_HOST = 127.0.0.1\n\n# trailing comment\n[OTHER]\nX = 1\n"},
		{"insert after header of empty section", "# head\n[IRI]\n# nothing yet\n", "PORT", "1", "# head\n[IRI]\nPORT = 1\n# nothing yet\n"},
		{"same key in other section untouched", "[OTHER]\nPORT = 9\n[IRI]\nX = 1\n", "PORT", "1", "[OTHER]\nPORT = 9\n[IRI]\nX = 1\nPORT = 1\n"},
		{"missing section appended", "[OTHER]\nX = 1\n", "PORT", "1", "[OTHER]\nX = 1\n\n[IRI]\nPORT = 1\n"},
		{"missing section, no final newline", "[OTHER]\nX = 1", "PORT", "1", "[OTHER]\nX = 1\n\n[IRI]\nPORT = 1\n"},
		{"empty file", "", "PORT", "1", "[IRI]\nPORT = 1\n"},
		{"insert keeps missing final newline", "[IRI]\nX = 1", "PORT", "1", "[IRI]\nX = 1\nPORT = 1"},
		{"crlf file", "[IRI]\r\nX = 1\r\n", "PORT", "1", "[IRI]\r\nX = 1\r\nPORT = 1\r\n"},
		{"crlf update", "[IRI]\r\nPORT = 1\r\n", "PORT", "2", "[IRI]\r\nPORT = 2\r\n"},
		{"commented key is not the key", "[IRI]\n# PORT = 1\n;PORT = 2\n", "PORT", "3", "[IRI]\nPORT = 3\n# PORT = 1\n;PORT = 2\n"},
		{"value with colon and equals", "[IRI]\nNEIGHBORS = tcp://a:1 tcp://b:2\n", "NEIGHBORS", "tcp://c:3", "[IRI]\nNEIGHBORS = tcp://c:3\n"},
		{"header with spaces", "[ IRI ]\nPORT = 1\n", "PORT", "2", "[ IRI ]\nPORT = 2\n"},
		{"section name is case sensitive", "[iri]\nPORT = 1\n", "PORT", "2", "[iri]\nPORT = 1\n\n[IRI]\nPORT = 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parseINI([]byte(tt.in))
			if got := string(d.bytes()); got != tt.in {
				t.Fatalf("parse/render changed the file:\n%q\n%q", tt.in, got)
			}
			d.set(section, tt.key, tt.value)
			if got := string(d.bytes()); got != tt.want {
				t.Errorf("set %s=%s:\n got %q\nwant %q", tt.key, tt.value, got, tt.want)
			}
			if v, ok := d.get(section, tt.key); !ok || v != tt.value {
				t.Errorf("get after set = %q, %v", v, ok)
			}
			// Setting the same value again changes nothing.
			again := parseINI(d.bytes())
			again.set(section, tt.key, tt.value)
			if string(again.bytes()) != tt.want {
				t.Errorf("second set is not a no-op: %q", again.bytes())
			}
		})
	}
}

func TestINIGet(t *testing.T) {
	d := parseINI([]byte("PORT = 0\n[IRI]\nPORT = 1\nAPI_HOST=  0.0.0.0  \nPORT = 2\n[X]\nPORT = 3\n"))
	for _, tt := range []struct {
		key, want string
		ok        bool
	}{{"PORT", "2", true}, {"API_HOST", "0.0.0.0", true}, {"REMOTE_LIMIT_API", "", false}} {
		if got, ok := d.get(section, tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("get %s = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if _, n := d.find(section, "PORT"); n != 2 {
		t.Errorf("PORT count = %d, want 2", n)
	}
}

// splitLines splits like the editor does: each line with its ending.
func splitLines(s string) []string { return strings.SplitAfter(s, "\n") }

// FuzzINISet checks the editor's promise on arbitrary input: parsing and
// rendering is the identity, and setting a key leaves every other line's
// bytes alone (only that key's line changes, or lines are added; a last
// line may gain its line ending).
func FuzzINISet(f *testing.F) {
	f.Add([]byte("[IRI]\nPORT = 14265\n# c\n"), "PORT", "1")
	f.Add([]byte("; x\n[IRI]\r\nAPI_HOST=::1\r\n[Y]\nZ:1"), "API_HOST", "127.0.0.1")
	f.Add([]byte(""), "REMOTE_LIMIT_API", "addNeighbors, getNeighbors")
	f.Add([]byte("[IRI\nPORT\n=x\n[IRI]"), "PORT", "2")
	f.Fuzz(func(t *testing.T, in []byte, key, value string) {
		if !settingKey.MatchString(key) || valueError(value) != nil {
			t.Skip()
		}
		d := parseINI(in)
		if string(d.bytes()) != string(in) {
			t.Fatalf("round trip changed %q into %q", in, d.bytes())
		}
		_, count := d.find(section, key)
		d.set(section, key, value)
		out := string(d.bytes())
		if v, ok := d.get(section, key); !ok || v != value {
			t.Fatalf("get after set = %q, %v", v, ok)
		}
		if reparsed, _ := parseINI([]byte(out)).get(section, key); reparsed != value {
			t.Fatalf("reparsed value %q, want %q", reparsed, value)
		}
		inLines := splitLines(string(in))
		outLines := splitLines(out)
		if count > 0 {
			// Updated in place: same number of lines, exactly one differs.
			if len(inLines) != len(outLines) {
				t.Fatalf("update changed the line count: %q → %q", in, out)
			}
			diff := 0
			for i := range inLines {
				if inLines[i] != outLines[i] {
					diff++
				}
			}
			if diff > 1 {
				t.Fatalf("update changed %d lines: %q → %q", diff, in, out)
			}
			return
		}
		// Inserted: the input's lines appear in order, unchanged apart from
		// a line ending added to the last one.
		j := 0
		for i, l := range inLines {
			if l == "" {
				continue
			}
			for j < len(outLines) && strings.TrimRight(outLines[j], "\r\n") != strings.TrimRight(l, "\r\n") {
				j++
			}
			if j == len(outLines) {
				t.Fatalf("line %d %q lost: %q → %q", i, l, in, out)
			}
			if outLines[j] != l && i != len(inLines)-1 {
				t.Fatalf("line %d changed: %q → %q", i, l, outLines[j])
			}
			j++
		}
	})
}
