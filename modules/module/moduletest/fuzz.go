package moduletest

import (
	"strings"
	"testing"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"harden/modules/module"
)

// maxFuzzBody keeps fuzzed block bodies small: the target is the module's
// decoding, not HCL's parser on huge inputs.
const maxFuzzBody = 1 << 10

// FuzzDecode decodes `blockType { body }` into m for a fuzz target. It
// reports false (nothing to check further) when the body is too large, is
// not HCL or is refused; a refusal must point at file:line:column, and a
// decode must never panic.
func FuzzDecode(t *testing.T, m module.Module, blockType, body string) bool {
	t.Helper()
	if len(body) > maxFuzzBody {
		return false
	}
	f, diags := hclsyntax.ParseConfig([]byte(blockType+" {\n"+body+"\n}\n"), "fuzz.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return false
	}
	blocks := f.Body.(*hclsyntax.Body).Blocks
	if len(blocks) != 1 || blocks[0].Type != blockType || len(blocks[0].Labels) != 0 {
		return false
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.EmptyObjectVal}}
	diags = m.Decode(blocks[0].AsHCLBlock(), ctx)
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject == nil {
			t.Fatalf("error without a position: %s: %s", d.Summary, d.Detail)
		}
	}
	return !diags.HasErrors()
}

// PlainWord tells whether sshd_config, haproxy.cfg and ini readers all take
// s as one word, exactly as written: no space or control character, no
// quote, backslash or '#'.
func PlainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return !strings.ContainsAny(s, "\"'\\#")
}
