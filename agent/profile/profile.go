// Package profile loads an HCL profile: its variables (with -var and
// -var-file overrides) and one block per module, decoded by the modules
// themselves. Loading never touches the machine.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"harden/modules/module"
	"harden/profiles"
)

// Source is where a profile comes from: a file, or a built-in by name.
type Source struct {
	Name  string // file path, or "builtin:NAME"
	Bytes []byte
}

// Resolve finds a profile: a path to a file, or the name of a built-in
// profile. An empty ref is /etc/harden/profile.hcl under root when it
// exists (the packaged conffile), else the default built-in.
func Resolve(ref, root string) (Source, error) {
	if ref == "" {
		conffile := strings.TrimSuffix(root, "/") + "/etc/harden/profile.hcl"
		data, err := readFile(conffile)
		if err == nil {
			return Source{Name: "/etc/harden/profile.hcl", Bytes: data}, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Source{}, fmt.Errorf("read profile: %w", err)
		}
		ref = profiles.Default
	}
	if data, err := readFile(ref); err == nil {
		return Source{Name: ref, Bytes: data}, nil
	} else if !errors.Is(err, fs.ErrNotExist) || strings.ContainsAny(ref, "/.") {
		return Source{}, fmt.Errorf("read profile: %w", err)
	}
	name := strings.TrimPrefix(ref, "builtin:")
	if data, ok := profiles.Get(name); ok {
		return Source{Name: "builtin:" + name, Bytes: data}, nil
	}
	msg := fmt.Sprintf("profile %q: no such file and no built-in profile of that name (built-in: %s)",
		ref, strings.Join(profiles.Names(), ", "))
	if s := module.Suggest(name, profiles.Names()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return Source{}, fmt.Errorf("%s", msg)
}

// Profile is a loaded profile: decoded modules in engine order.
type Profile struct {
	Source  string
	Modules []module.Module
	// Files holds the parsed sources for rendering diagnostics.
	Files map[string]*hcl.File
}

// Loader turns profile sources into decoded modules.
type Loader struct {
	Factories []module.Factory // in engine order
	Parser    *hclparse.Parser
}

// NewLoader returns a loader for the given module factories.
func NewLoader(factories []module.Factory) *Loader {
	return &Loader{Factories: factories, Parser: hclparse.NewParser()}
}

// Load parses and decodes a profile. vars are -var overrides ("k=v");
// varFiles are -var-file paths, applied before the -var flags.
// At most maxDiagnostics are reported, then how many more there are.
func (l *Loader) Load(src Source, varFiles, vars []string) (*Profile, hcl.Diagnostics) {
	p, diags := l.load(src, varFiles, vars)
	return p, capDiagnostics(diags)
}

func (l *Loader) load(src Source, varFiles, vars []string) (*Profile, hcl.Diagnostics) {
	p := &Profile{Source: src.Name, Files: l.Parser.Files()}
	if diags := checkSource(src.Bytes, src.Name, "profile", false); diags.HasErrors() {
		return p, diags
	}
	f, diags := l.Parser.ParseHCL(src.Bytes, src.Name)
	if diags.HasErrors() {
		return p, diags
	}
	content, d := f.Body.Content(l.schema())
	diags = append(diags, d...)
	if diags.HasErrors() {
		return p, diags
	}
	decls, d := declareVariables(content.Blocks)
	diags = append(diags, d...)
	d = l.applyOverrides(decls, varFiles, vars)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return p, diags
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": decls.object()}, Functions: functions()}
	mods, d := l.decodeModules(content.Blocks, ctx)
	diags = append(diags, d...)
	p.Modules = mods
	if !diags.HasErrors() {
		diags = append(diags, link(mods)...)
	}
	return p, diags
}

func (l *Loader) schema() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}}
	for _, f := range l.Factories {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: f.Block, LabelNames: f.Labels})
	}
	return s
}

// decodeModules decodes every module block, in the factories' order.
func (l *Loader) decodeModules(blocks hcl.Blocks, ctx *hcl.EvalContext) ([]module.Module, hcl.Diagnostics) {
	var mods []module.Module
	var diags hcl.Diagnostics
	seen := map[string]*hcl.Block{}
	for _, f := range l.Factories {
		for _, b := range blocks.OfType(f.Block) {
			key := strings.Join(append([]string{b.Type}, b.Labels...), ".")
			if prev, dup := seen[key]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate " + b.Type + " block",
					Detail:   fmt.Sprintf("%s is already configured at %s; merge the two blocks.", key, prev.DefRange),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			seen[key] = b
			m := f.New()
			diags = append(diags, m.Decode(b, ctx)...)
			mods = append(mods, m)
		}
	}
	return mods, diags
}

// link hands each Linker its peers once every block is decoded.
func link(mods []module.Module) hcl.Diagnostics {
	peers := peerSet(mods)
	var diags hcl.Diagnostics
	for _, m := range mods {
		if l, ok := m.(module.Linker); ok {
			diags = append(diags, l.Link(peers)...)
		}
	}
	return diags
}

type peerSet []module.Module

func (p peerSet) Lookup(name string) (module.Module, bool) {
	for _, m := range p {
		if m.Name() == name {
			return m, true
		}
	}
	return nil, false
}

// Names lists the modules' names in order.
func (p *Profile) Names() []string {
	out := make([]string, len(p.Modules))
	for i, m := range p.Modules {
		out[i] = m.Name()
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
