package hclattr

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func decoder(t *testing.T, src string) *Decoder {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b := f.Body.(*hclsyntax.Body).Blocks[0].AsHCLBlock()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
		"list": cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
	})}}
	return New(b, ctx, "s", "n", "b", "l", "m", "o")
}

func TestPresence(t *testing.T) {
	d := decoder(t, "x {\n  s = null\n  n = 3\n  o = \"v\"\n}")
	if v, p := d.String("s", "def"); v != "def" || p != Null {
		t.Errorf("null string: %q %v", v, p)
	}
	if v := d.Optional("s", "def"); v != "" {
		t.Errorf("Optional(null) = %q", v)
	}
	if v := d.Optional("m", "def"); v != "def" {
		t.Errorf("Optional(absent) = %q", v)
	}
	if v := d.Optional("o", "def"); v != "v" {
		t.Errorf("Optional(set) = %q", v)
	}
	if v, p := d.Int("n", 0); v != 3 || p != Set {
		t.Errorf("int: %d %v", v, p)
	}
	if d.Bool("b", true) != true {
		t.Error("absent bool lost its default")
	}
	if d.Diags.HasErrors() {
		t.Error(d.Diags)
	}
}

func TestElementRanges(t *testing.T) {
	d := decoder(t, "x {\n  l = [\"a\",\n    \"b\"]\n  m = { K = \"v\" }\n}")
	elems, _ := d.StringList("l")
	if len(elems) != 2 || elems[1].Value != "b" || elems[1].Range.Start.Line != 3 || elems[1].Range.Start.Column != 5 {
		t.Errorf("list elements %+v", elems)
	}
	entries, _ := d.StringMap("m")
	if len(entries) != 1 || entries[0].Key != "K" || entries[0].Range.Start.Column != 9 {
		t.Errorf("map entries %+v", entries)
	}
	// A list from a variable has no element positions: the attribute's.
	d = decoder(t, "x {\n  l = var.list\n}")
	elems, _ = d.StringList("l")
	if len(elems) != 2 || elems[0].Range != d.Range("l") {
		t.Errorf("variable list %+v", elems)
	}
}

func TestTypeErrors(t *testing.T) {
	d := decoder(t, "x {\n  n = \"three\"\n  l = \"a\"\n  z = 1\n}")
	d.Int("n", 0)
	d.StringList("l")
	if len(d.Diags) != 3 { // unknown z, n not a number, l not a list
		t.Fatalf("diags: %v", d.Diags)
	}
	d = decoder(t, "x {\n  n = 1.5\n}")
	if _, p := d.Int("n", 7); p != Absent || !d.Diags.HasErrors() || d.Diags[0].Detail != "n: 1.5 is not a whole number." {
		t.Errorf("fraction: %v %v", p, d.Diags)
	}
}
