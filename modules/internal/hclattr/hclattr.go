// Package hclattr decodes a module block's attributes one at a time, so a
// module can tell an absent attribute (use the default) from `x = null`
// (leave the setting unmanaged) and point diagnostics at single list
// elements or map keys.
package hclattr

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Presence says how a profile set an attribute.
type Presence int

const (
	// Absent: the attribute is not in the block; the module's default applies.
	Absent Presence = iota
	// Null: `x = null`; the module leaves the setting unmanaged.
	Null
	// Set: the attribute has a value.
	Set
)

// Decoder evaluates the attributes of one block. Diagnostics accumulate in
// Diags; a failed attribute yields its default so decoding can go on and
// report every problem at once.
type Decoder struct {
	Block *hcl.Block
	Diags hcl.Diagnostics
	attrs hcl.Attributes
	ctx   *hcl.EvalContext
}

// New checks the block against the allowed attribute names (an unknown one
// is an error with hcl's own "did you mean") and returns a decoder.
func New(block *hcl.Block, ctx *hcl.EvalContext, names ...string) *Decoder {
	schema := &hcl.BodySchema{}
	for _, n := range names {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: n})
	}
	content, diags := block.Body.Content(schema)
	return &Decoder{Block: block, Diags: diags, attrs: content.Attributes, ctx: ctx}
}

// Range is the source range of an attribute's value, or of the block's
// closing brace when the attribute is absent.
func (d *Decoder) Range(name string) hcl.Range {
	if a, ok := d.attrs[name]; ok {
		return a.Expr.Range()
	}
	return d.Block.Body.MissingItemRange()
}

// eval evaluates and converts one attribute.
func (d *Decoder) eval(name string, ty cty.Type) (cty.Value, Presence) {
	a, ok := d.attrs[name]
	if !ok {
		return cty.NilVal, Absent
	}
	v, diags := a.Expr.Value(d.ctx)
	d.Diags = append(d.Diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, Absent
	}
	if v.IsNull() {
		return v, Null
	}
	cv, err := convert.Convert(v, ty)
	if err == nil && !cv.IsWhollyKnown() {
		err = fmt.Errorf("value must be known when the profile is loaded")
	}
	if err != nil {
		d.Diags = append(d.Diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, err),
			Subject:  a.Expr.Range().Ptr(),
		})
		return cty.NilVal, Absent
	}
	return cv, Set
}

// String decodes a string attribute.
func (d *Decoder) String(name, def string) (string, Presence) {
	v, p := d.eval(name, cty.String)
	if p != Set {
		return def, p
	}
	return v.AsString(), p
}

// Optional decodes a string attribute whose null means "unmanaged":
// absent gives def, null gives "".
func (d *Decoder) Optional(name, def string) string {
	s, p := d.String(name, def)
	if p == Null {
		return ""
	}
	return s
}

// Int decodes a whole-number attribute.
func (d *Decoder) Int(name string, def int) (int, Presence) {
	v, p := d.eval(name, cty.Number)
	if p != Set {
		return def, p
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		d.Diags = append(d.Diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for " + name,
			Detail:   fmt.Sprintf("%s: %s is not a whole number.", name, v.AsBigFloat().String()),
			Subject:  d.Range(name).Ptr(),
		})
		return def, Absent
	}
	return n, p
}

// Bool decodes a boolean attribute; null means the default.
func (d *Decoder) Bool(name string, def bool) bool {
	v, p := d.eval(name, cty.Bool)
	if p != Set {
		return def
	}
	return v.True()
}

// Elem is one decoded list element or map entry with where it was written.
type Elem struct {
	Key   string // map key ("" for list elements)
	Value string
	Range hcl.Range
}

// StringList decodes a list of strings. Each element carries its own range
// when the list is written literally, else the whole attribute's range.
func (d *Decoder) StringList(name string) ([]Elem, Presence) {
	v, p := d.eval(name, cty.List(cty.String))
	if p != Set {
		return nil, p
	}
	var items []hclsyntax.Expression
	if t, ok := d.attrs[name].Expr.(*hclsyntax.TupleConsExpr); ok {
		items = t.Exprs
	}
	var out []Elem
	for i, ev := range v.AsValueSlice() {
		e := Elem{Range: d.Range(name)}
		if len(items) == v.LengthInt() {
			e.Range = items[i].Range()
		}
		if ev.IsNull() {
			d.Diags = append(d.Diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: "Invalid value for " + name, Detail: name + ": list elements must not be null.",
				Subject: e.Range.Ptr()})
			continue
		}
		e.Value = ev.AsString()
		out = append(out, e)
	}
	return out, p
}

// StringMap decodes a map of strings, in key order. Each entry carries the
// range of its key when the map is written literally.
func (d *Decoder) StringMap(name string) ([]Elem, Presence) {
	v, p := d.eval(name, cty.Map(cty.String))
	if p != Set {
		return nil, p
	}
	keyRanges := map[string]hcl.Range{}
	if o, ok := d.attrs[name].Expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range o.Items {
			if k, diags := item.KeyExpr.Value(d.ctx); !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
				keyRanges[k.AsString()] = item.KeyExpr.Range()
			}
		}
	}
	var out []Elem
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		e := Elem{Key: k.AsString(), Range: d.Range(name)}
		if r, ok := keyRanges[e.Key]; ok {
			e.Range = r
		}
		if ev.IsNull() {
			d.Diags = append(d.Diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: "Invalid value for " + name, Detail: fmt.Sprintf("%s: %s must not be null.", name, e.Key),
				Subject: e.Range.Ptr()})
			continue
		}
		e.Value = ev.AsString()
		out = append(out, e)
	}
	return out, p
}

// Error appends an error diagnostic at rng.
func (d *Decoder) Error(rng hcl.Range, summary, detail string) {
	d.Diags = append(d.Diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
}

// Add appends diagnostics (a module.BadValue, say).
func (d *Decoder) Add(diags ...*hcl.Diagnostic) { d.Diags = append(d.Diags, diags...) }
