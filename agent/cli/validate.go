package cli

import (
	"fmt"
	"strings"

	"harden/agent/plan"
)

func runValidate(io IO, args []string) int {
	var o options
	fs := newFlagSet(io, "validate", "[flags]",
		"Check a profile's syntax and meaning (types, ranges, names) without reading the machine.\n"+
			"With -json, prints Terraform's validate document: valid, error_count, warning_count, diagnostics.")
	o.register(fs, false)
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	s, ok := o.load(io)
	if o.json {
		emitJSON(io, newValidateResult(io.rep, s, ok))
	} else if ok {
		fmt.Fprintf(io.Out, "Profile %s is valid (modules: %s).\n", s.profile.Source, strings.Join(s.profile.Names(), ", "))
	}
	if !ok {
		return ExitError
	}
	return ExitOK
}

// validateResult is validate's JSON document, in the shape of
// `terraform validate -json`, plus the profile and its modules.
type validateResult struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []diagnostic `json:"diagnostics"`
	Profile       string       `json:"profile,omitempty"`
	Modules       []string     `json:"modules"`
}

// newValidateResult counts what loading the profile reported. A profile
// that cannot even be found has no diagnostic of its own: its error
// becomes one, without a range.
func newValidateResult(rep *report, s *session, valid bool) validateResult {
	res := validateResult{FormatVersion: plan.FormatVersion, Valid: valid, Diagnostics: rep.diags}
	for _, d := range rep.diags {
		if d.Severity == "warning" {
			res.WarningCount++
		} else {
			res.ErrorCount++
		}
	}
	if !valid && res.ErrorCount == 0 {
		for _, e := range rep.errors {
			res.Diagnostics = append(res.Diagnostics, diagnostic{Severity: "error", Summary: e})
			res.ErrorCount++
		}
	}
	if s != nil && s.profile != nil {
		res.Profile, res.Modules = s.profile.Source, s.profile.Names()
	}
	return res
}
