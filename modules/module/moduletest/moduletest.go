// Package moduletest helps test module decoding and plans.
package moduletest

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"harden/modules/module"
)

// Decode parses src (one profile block, as in a profile file named
// "test.hcl") and decodes its first block into m. vars become var.NAME.
func Decode(t testing.TB, m module.Module, src string, vars map[string]cty.Value) hcl.Diagnostics {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	blocks := f.Body.(*hclsyntax.Body).Blocks
	if len(blocks) == 0 {
		t.Fatalf("no block in %q", src)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	if vars == nil {
		ctx.Variables["var"] = cty.EmptyObjectVal
	}
	return m.Decode(blocks[0].AsHCLBlock(), ctx)
}

// MustDecode is Decode that fails the test on any diagnostic.
func MustDecode(t testing.TB, m module.Module, src string) {
	t.Helper()
	if diags := Decode(t, m, src, nil); diags.HasErrors() {
		t.Fatalf("decode: %s", diags.Error())
	}
}

// WantOneDiag checks that diags is exactly one error with the given detail,
// pointing at test.hcl:line:col, and returns it (for a check of its
// summary).
func WantOneDiag(t testing.TB, diags hcl.Diagnostics, detail string, line, col int) *hcl.Diagnostic {
	t.Helper()
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	d := diags[0]
	if d.Severity != hcl.DiagError || d.Detail != detail {
		t.Errorf("detail:\n got %q\nwant %q", d.Detail, detail)
	}
	if d.Subject == nil || d.Subject.Filename != "test.hcl" || d.Subject.Start.Line != line || d.Subject.Start.Column != col {
		t.Errorf("position = %v, want test.hcl:%d,%d", d.Subject, line, col)
	}
	return d
}
