// Package dpkg reads what dpkg knows about installed packages straight from
// its status database, which answers "is it installed, which version" with
// one file read instead of a dpkg-query process.
package dpkg

import (
	"bufio"
	"bytes"
	"strings"
)

// StatusPath is dpkg's database of package states.
const StatusPath = "/var/lib/dpkg/status"

// Package is one package's entry in the status database.
type Package struct {
	Name    string
	Version string
	// Status is the last word of the Status field: "installed",
	// "config-files", "half-configured", "not-installed", ...
	Status string
}

// Installed reports whether dpkg considers the package fully installed.
func (p Package) Installed() bool { return p.Status == "installed" }

// Lookup finds name in the contents of a status file. A package listed for
// several architectures is reported by its installed entry if it has one.
// found is false when dpkg has never heard of it.
func Lookup(status []byte, name string) (pkg Package, found bool) {
	// Jump from one "Package: name" line to the next instead of splitting
	// the whole database (megabytes on a full system).
	header := []byte("Package: " + name + "\n")
	for from := 0; ; {
		i := bytes.Index(status[from:], header)
		if i < 0 {
			return pkg, found
		}
		start := from + i
		from = start + len(header)
		if start > 0 && status[start-1] != '\n' {
			continue // inside another line, e.g. a description
		}
		stanza := status[start:]
		if end := bytes.Index(stanza, []byte("\n\n")); end >= 0 {
			stanza = stanza[:end]
		}
		if p, ok := parseStanza(stanza, name); ok && (!found || p.Installed() && !pkg.Installed()) {
			pkg, found = p, true
		}
	}
}

// parseStanza reads the fields of one paragraph if it describes name.
// Continuation lines (leading space) belong to multi-line fields such as
// Description and are skipped.
func parseStanza(stanza []byte, name string) (Package, bool) {
	var p Package
	sc := bufio.NewScanner(bytes.NewReader(stanza))
	sc.Buffer(make([]byte, 0, 4096), len(stanza)+1)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch key {
		case "Package":
			if value != name {
				return Package{}, false
			}
			p.Name = value
		case "Version":
			p.Version = value
		case "Status":
			if words := strings.Fields(value); len(words) > 0 {
				p.Status = words[len(words)-1]
			}
		}
	}
	return p, p.Name == name
}
