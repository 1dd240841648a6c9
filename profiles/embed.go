// Package profiles holds harden's built-in profiles, embedded in the binary.
// `harden profiles` lists them; `-profile NAME` uses one.
package profiles

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.hcl
var files embed.FS

// Default is the profile used when none is given and /etc/harden/profile.hcl
// does not exist.
const Default = "iri-node"

// Names lists the built-in profiles, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".hcl"))
	}
	sort.Strings(names)
	return names
}

// Get returns a built-in profile's source.
func Get(name string) ([]byte, bool) {
	data, err := files.ReadFile(name + ".hcl")
	return data, err == nil
}

// Summary is the first comment line of a built-in profile.
func Summary(name string) string {
	data, _ := Get(name)
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(strings.TrimPrefix(line, "#"))
}
