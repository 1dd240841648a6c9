package profile

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"harden/modules/module"
)

// variable is one `variable "name" { ... }` declaration.
type variable struct {
	typ   cty.Type // cty.DynamicPseudoType when neither type nor default says
	value cty.Value
	decl  hcl.Range
}

type declarations map[string]*variable

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "default"}, {Name: "description"}, {Name: "type"},
}}

func declareVariables(blocks hcl.Blocks) (declarations, hcl.Diagnostics) {
	decls := declarations{}
	var diags hcl.Diagnostics
	for _, b := range blocks.OfType("variable") {
		name := b.Labels[0]
		if prev, dup := decls[name]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: "Duplicate variable", Subject: b.LabelRanges[0].Ptr(),
				Detail: fmt.Sprintf("Variable %q is already declared at %s.", name, prev.decl)})
			continue
		}
		v, d := declareVariable(b)
		diags = append(diags, d...)
		decls[name] = v
	}
	return decls, diags
}

func declareVariable(b *hcl.Block) (*variable, hcl.Diagnostics) {
	v := &variable{typ: cty.DynamicPseudoType, value: cty.NullVal(cty.DynamicPseudoType), decl: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		v.typ = ty
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if v.typ == cty.DynamicPseudoType {
			v.typ = val.Type()
		}
		conv, err := convert.Convert(val, v.typ)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value",
				Detail: fmt.Sprintf("Variable %q: %s.", b.Labels[0], err), Subject: attr.Expr.Range().Ptr()})
		}
		v.value = conv
	}
	return v, diags
}

// object is the `var` object profiles refer to.
func (d declarations) object() cty.Value {
	vals := map[string]cty.Value{}
	for name, v := range d {
		vals[name] = v.value
	}
	return cty.ObjectVal(vals)
}

// applyOverrides applies -var-file files then -var flags, in order.
func (l *Loader) applyOverrides(decls declarations, varFiles, vars []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, path := range varFiles {
		diags = append(diags, l.applyVarFile(decls, path)...)
	}
	for _, kv := range vars {
		diags = append(diags, applyVarFlag(decls, kv)...)
	}
	return diags
}

func (l *Loader) applyVarFile(decls declarations, path string) hcl.Diagnostics {
	src, err := readFile(path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read -var-file", Detail: err.Error()}}
	}
	if diags := checkSource(src, path, "-var-file", false); diags.HasErrors() {
		return diags
	}
	f, diags := l.Parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	for _, name := range sortedKeys(attrs) {
		attr := attrs[name]
		v, ok := decls[name]
		if !ok {
			diags = append(diags, undeclared(decls, name, attr.NameRange.Ptr()))
			continue
		}
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		conv, err := convert.Convert(val, v.typ)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: fmt.Sprintf("Variable %q: %s.", name, err), Subject: attr.Expr.Range().Ptr()})
			continue
		}
		v.value = conv
	}
	return diags
}

// applyVarFlag applies one -var NAME=VALUE. Like Terraform, a primitive
// variable takes VALUE as a string converted to its type; a list, map or
// object variable takes VALUE as an HCL expression (-var 'ports=[1,2]').
func applyVarFlag(decls declarations, kv string) hcl.Diagnostics {
	name, raw, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid -var option",
			Detail: fmt.Sprintf("%q: expected NAME=VALUE, for example -var ssh_port=2200.", kv)}}
	}
	v, ok := decls[name]
	if !ok {
		return hcl.Diagnostics{undeclared(decls, name, nil)}
	}
	val := cty.StringVal(raw)
	if !v.typ.IsPrimitiveType() && v.typ != cty.DynamicPseudoType {
		if diags := checkSource([]byte(raw), "-var "+name, "-var value", true); diags.HasErrors() {
			return diags
		}
		expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			return diags
		}
		if val, diags = expr.Value(nil); diags.HasErrors() {
			return diags
		}
	}
	conv, err := convert.Convert(val, v.typ)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid -var option",
			Detail: fmt.Sprintf("-var %s: %s (expected %s).", kv, err, v.typ.FriendlyName())}}
	}
	v.value = conv
	return nil
}

func undeclared(decls declarations, name string, subject *hcl.Range) *hcl.Diagnostic {
	detail := fmt.Sprintf("The profile declares no variable %q.", name)
	if s := module.Suggest(name, sortedKeys(decls)); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(decls) > 0 {
		detail += " Declared: " + strings.Join(sortedKeys(decls), ", ") + "."
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable", Detail: detail, Subject: subject}
}
