package cloudinit

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// BakeVars returns the profile with each -var NAME=VALUE written as the
// default of its variable block, so the machine keeps the values: later
// plans, applies and drift checks there read the same profile without
// flags. VALUE is read as `harden plan -var` reads it: converted to the
// variable's type when that is a primitive, an HCL expression otherwise.
// Everything else in the file (comments, layout) is kept.
func BakeVars(src []byte, filename string, vars []string) ([]byte, error) {
	if len(vars) == 0 {
		return src, nil
	}
	parsed, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %s: %s", filename, diags.Error())
	}
	types, err := variableTypes(parsed.Body.(*hclsyntax.Body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	file, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse %s: %s", filename, diags.Error())
	}
	for _, kv := range vars {
		name, raw, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("-var %q: expected NAME=VALUE", kv)
		}
		typ, declared := types[name]
		if !declared {
			return nil, fmt.Errorf("-var %s: the profile declares no variable %q", kv, name)
		}
		val, err := varValue(name, raw, typ)
		if err != nil {
			return nil, err
		}
		block := file.Body().FirstMatchingBlock("variable", []string{name})
		block.Body().SetAttributeValue("default", val)
	}
	names := make([]string, len(vars))
	for i, kv := range vars {
		names[i], _, _ = strings.Cut(kv, "=")
	}
	note := "# harden cloud-init -var set the default of: " + strings.Join(names, ", ") + ".\n"
	return append([]byte(note), file.Bytes()...), nil
}

// variableTypes reads each variable block's type: its type constraint, else
// the type of its default, else any type.
func variableTypes(body *hclsyntax.Body) (map[string]cty.Type, error) {
	types := map[string]cty.Type{}
	for _, b := range body.Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		typ := cty.DynamicPseudoType
		if attr, ok := b.Body.Attributes["type"]; ok {
			t, diags := typeexpr.TypeConstraint(attr.Expr)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %q: %s", b.Labels[0], diags.Error())
			}
			typ = t
		} else if attr, ok := b.Body.Attributes["default"]; ok {
			if v, diags := attr.Expr.Value(nil); !diags.HasErrors() {
				typ = v.Type()
			}
		}
		types[b.Labels[0]] = typ
	}
	return types, nil
}

// varValue converts a -var VALUE to the variable's type, as the loader does.
func varValue(name, raw string, typ cty.Type) (cty.Value, error) {
	val := cty.StringVal(raw)
	if !typ.IsPrimitiveType() && typ != cty.DynamicPseudoType {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("-var %s=%s: %s", name, raw, diags.Error())
		}
		if val, diags = expr.Value(nil); diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("-var %s=%s: %s", name, raw, diags.Error())
		}
	}
	if typ == cty.DynamicPseudoType {
		return val, nil
	}
	conv, err := convert.Convert(val, typ)
	if err != nil {
		return cty.NilVal, fmt.Errorf("-var %s=%s: %s (expected %s)", name, raw, err, typ.FriendlyName())
	}
	return conv, nil
}
