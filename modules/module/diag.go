package module

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// AttrRange returns the source range of the named attribute's value in a
// block body, or the block's missing-item range when it is absent. Modules
// use it to point a validation error at the value that is wrong.
func AttrRange(body hcl.Body, name string) hcl.Range {
	if sb, ok := body.(*hclsyntax.Body); ok {
		if attr, ok := sb.Attributes[name]; ok {
			return attr.Expr.Range()
		}
	}
	return body.MissingItemRange()
}

// HasAttr reports whether the block body sets the named attribute at all
// (`x = null` counts as set: it is how a profile leaves a setting unmanaged).
func HasAttr(body hcl.Body, name string) bool {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	_, ok = sb.Attributes[name]
	return ok
}

// BadValue builds the diagnostic for a value outside what a setting accepts:
// "what was expected", and a suggestion when a valid value is close.
func BadValue(rng hcl.Range, setting, got, expected string, valid []string) *hcl.Diagnostic {
	detail := fmt.Sprintf("%s: %q is not valid; expected %s.", setting, got, expected)
	if s := Suggest(got, valid); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid value for " + setting,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}

// Suggest returns the valid name closest to got, or "" when none is close.
// Case is ignored when comparing; the valid spelling is returned.
func Suggest(got string, valid []string) string {
	best, bestDist := "", 4
	for _, v := range valid {
		d := levenshtein.Distance(strings.ToLower(got), strings.ToLower(v), nil)
		if d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}
