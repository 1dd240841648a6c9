package cli

import (
	"fmt"
	"strings"

	"harden/agent/plan"
	"harden/profiles"
)

func runProfiles(io IO, args []string) int {
	var asJSON bool
	fs := newFlagSet(io, "profiles", "[show NAME]", "List the built-in profiles, or print one.")
	fs.BoolVar(&asJSON, "json", false, "print machine-readable JSON on stdout")
	words, code, ok := parseArgs(fs, io, args, 2)
	if !ok {
		return code
	}
	switch {
	case len(words) == 0:
		list := profilesResult{FormatVersion: plan.FormatVersion, Profiles: []builtinProfile{}}
		for _, n := range profiles.Names() {
			list.Profiles = append(list.Profiles, builtinProfile{Name: n, Summary: profiles.Summary(n)})
		}
		if asJSON {
			emitJSON(io, list)
			return ExitOK
		}
		for _, p := range list.Profiles {
			fmt.Fprintf(io.Out, "%-18s %s\n", p.Name, p.Summary)
		}
		return ExitOK
	case len(words) == 2 && words[0] == "show":
		data, ok := profiles.Get(words[1])
		if !ok {
			return fail(io, fmt.Errorf("no built-in profile %q (built-in: %s)", words[1], strings.Join(profiles.Names(), ", ")))
		}
		if asJSON {
			emitJSON(io, builtinProfile{Name: words[1], Summary: profiles.Summary(words[1]), Source: string(data)})
			return ExitOK
		}
		_, _ = io.Out.Write(data)
		return ExitOK
	}
	io.rep.failed(fmt.Errorf("profiles takes nothing, or show NAME"))
	fs.Usage()
	return ExitError
}

// profilesResult is profiles' JSON document; builtinProfile one profile
// (with its HCL for `profiles show NAME -json`).
type profilesResult struct {
	FormatVersion string           `json:"format_version"`
	Profiles      []builtinProfile `json:"profiles"`
}

type builtinProfile struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Source  string `json:"source,omitempty"`
}
