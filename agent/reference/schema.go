// Package reference generates the profile reference (docs/profile.md) from
// the code: which blocks and attributes exist is read from the modules'
// own decoders, what they mean from each module's Reference, and a test
// fails when the two disagree or the checked-in reference is stale.
package reference

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"harden/modules/module"
)

// Declared is what a module's decoder accepts in its block: attribute
// names, and nested block types with what they accept in turn.
type Declared struct {
	Attributes []string
	Blocks     map[string]*Declared
}

// declared decodes an empty block of the factory's type with a body that
// records every schema the decoder asks for, and returns the union.
func declared(f module.Factory) (*Declared, error) {
	src := f.Block
	for range f.Labels {
		src += ` "x"`
	}
	src += " {}\n"
	file, diags := hclsyntax.ParseConfig([]byte(src), "reference.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	blocks, _, _ := file.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: f.Block, LabelNames: f.Labels}}})
	if len(blocks.Blocks) != 1 {
		return nil, fmt.Errorf("%s: cannot make an empty block", f.Block)
	}
	b := blocks.Blocks[0]
	rec := &recorder{Body: b.Body, d: &Declared{Blocks: map[string]*Declared{}}}
	b.Body = rec
	f.New().Decode(b, &hcl.EvalContext{})
	sort.Strings(rec.d.Attributes)
	return rec.d, nil
}

// recorder is an hcl.Body that remembers the schemas it is asked for.
type recorder struct {
	hcl.Body
	d *Declared
}

func (r *recorder) Content(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	r.record(s)
	return r.Body.Content(s)
}

func (r *recorder) PartialContent(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	r.record(s)
	return r.Body.PartialContent(s)
}

func (r *recorder) record(s *hcl.BodySchema) {
	for _, a := range s.Attributes {
		if !contains(r.d.Attributes, a.Name) {
			r.d.Attributes = append(r.d.Attributes, a.Name)
		}
	}
	for _, b := range s.Blocks {
		if r.d.Blocks[b.Type] == nil {
			r.d.Blocks[b.Type] = &Declared{Blocks: map[string]*Declared{}}
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
