package profile

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"harden/modules/host"
)

// limits.go: what one profile may cost to load. A profile is the operator's
// own input, but a mistyped path (a binary, /dev/zero, a FIFO) or a
// generated file must end in a clear error, never in a hang or an exhausted
// machine. hcl's parser recurses once per level of nesting and has no limit
// of its own (hashicorp/hcl#809), so nesting is measured before it parses.

// MaxSize caps a profile or -var-file, in bytes. hcl holds about 100 bytes
// per token and its syntax tree besides: 512 KiB of dense tokens ([1,1,...])
// peak at about 200 MB while loading (1 MiB: 480 MB). 512 KiB is still 25,000
// deny_sources written in the profile, and a longer list belongs in
// deny_sources_file, read as a plain list instead of HCL.
const MaxSize = 512 << 10

// MaxNesting caps how deep a profile nests: every bracket, brace,
// parenthesis, string template and interpolation open at a point counts one
// level, and so does every operator and finished term so far in the same
// expression (a+b+c nests the syntax tree as deep as ((a+b)+c)). Profiles
// written by hand stay under 20.
const MaxNesting = 256

// maxDiagnostics caps the diagnostics one load reports: a binary file or
// a generated one gone wrong can make hcl report one per character or line,
// and half a million of them help nobody. Beyond it, in a file hcl cannot
// even tokenize, the parse is skipped.
const maxDiagnostics = 30

// lexAbove is the size above which checkSource always tokenizes: below it a
// file that is not a profile costs little even when hcl reports every
// character, and most profiles are shown shallow by nestingBound alone.
const lexAbove = 64 << 10

// readFile reads a profile or -var-file from the operator's filesystem (not
// under -root): a regular file of at most MaxSize bytes.
func readFile(path string) ([]byte, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxSize {
		return nil, errors.New(tooLarge(path, fi.Size()))
	}
	return host.ReadLocalFile(path, MaxSize)
}

func tooLarge(name string, size int64) string {
	return fmt.Sprintf("%s is %d bytes; a profile, -var-file or -var value is at most %d KiB (%d bytes), "+
		"far more than hardening needs. Put a long deny list in deny_sources_file (one address or prefix a line), "+
		"which harden reads as a plain list.", name, size, MaxSize>>10, MaxSize)
}

// checkSource refuses what hcl should not parse: src over MaxSize, a file
// of characters hcl cannot read, or nesting beyond MaxNesting. what names
// src for the operator ("profile"); expr says src is one expression (a -var
// value) rather than a file of blocks.
func checkSource(src []byte, filename, what string, expr bool) hcl.Diagnostics {
	if len(src) > MaxSize {
		start := hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: capitalize(what) + " too large",
			Detail: tooLarge(filename, int64(len(src))), Subject: &start}}
	}
	if len(src) <= lexAbove && nestingBound(src) <= MaxNesting {
		return nil
	}
	lex := hclsyntax.LexConfig
	if expr {
		lex = hclsyntax.LexExpression
	}
	tokens, diags := lex(src, filename, hcl.InitialPos)
	if len(diags) > maxDiagnostics {
		return capDiagnostics(diags)
	}
	if tok, deep := tooDeep(tokens); deep {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Nesting too deep", Subject: tok.Range.Ptr(),
			Detail: fmt.Sprintf("This %s nests more than %d levels deep here (each bracket, brace, parenthesis, "+
				"string template and interpolation counts, and so does each operator in one expression). "+
				"harden stops at %d because the HCL parser recurses once per level and deeper input could exhaust "+
				"its stack. Write the value flatter: a list rather than nested lists, shorter expressions.",
				what, MaxNesting, MaxNesting)}}
	}
	return nil
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// capDiagnostics keeps the first maxDiagnostics and says how many more
// there are, where the first of those is.
func capDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(diags) <= maxDiagnostics {
		return diags
	}
	rest := diags[maxDiagnostics:]
	more := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Too many diagnostics",
		Detail: fmt.Sprintf("%d more follow, not shown: fix the ones above first (a file with this many is "+
			"often not a profile at all).", len(rest))}
	if rest.HasErrors() {
		more.Severity = hcl.DiagError
	}
	for _, d := range rest {
		if d.Subject != nil {
			more.Subject = d.Subject
			break
		}
	}
	return append(diags[:maxDiagnostics:maxDiagnostics], more)
}
