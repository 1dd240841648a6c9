package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/agent/internal/filemod"
	"harden/agent/profile"
	"harden/modules/module"
	"harden/profiles"
)

func load(t *testing.T, src string, varFiles, vars []string) (*profile.Profile, string) {
	t.Helper()
	l := profile.NewLoader([]module.Factory{filemod.Factory})
	p, diags := l.Load(profile.Source{Name: "p.hcl", Bytes: []byte(src)}, varFiles, vars)
	return p, formatDiags(diags)
}

const varProfile = `variable "port" {
  default = 2222
}
variable "names" {
  type    = list(string)
  default = ["a"]
}
file "x" {
  path    = "/etc/x"
  content = "port ${var.port} ${join(",", var.names)}"
}
`

func TestVariables(t *testing.T) {
	varFile := filepath.Join(t.TempDir(), "vars.hcl")
	if err := os.WriteFile(varFile, []byte("port = 2300\nnames = [\"f\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		varFiles []string
		vars     []string
		want     string
	}{
		{"defaults", nil, nil, "port 2222 a"},
		{"-var converts to the declared type", nil, []string{"port=2200"}, "port 2200 a"},
		{"-var list as an expression", nil, []string{`names=["b","c"]`}, "port 2222 b,c"},
		{"-var-file", []string{varFile}, nil, "port 2300 f"},
		{"-var beats -var-file", []string{varFile}, []string{"port=1"}, "port 1 f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, msgs := load(t, varProfile, tt.varFiles, tt.vars)
			if msgs != "" {
				t.Fatal(msgs)
			}
			if got := p.Modules[0].(*filemod.Module).Content; got != tt.want {
				t.Errorf("content = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars []string
		want string
	}{
		{"unknown block", "fiel \"x\" {\n}\n", nil,
			`p.hcl:1:1: Unsupported block type: Blocks of type "fiel" are not expected here. Did you mean "file"?`},
		{"unknown attribute", "file \"x\" {\n  path = \"/a\"\n  content = \"\"\n  mdoe = 1\n}\n", nil,
			`p.hcl:4:3: Unsupported argument: An argument named "mdoe" is not expected here. Did you mean "mode"?`},
		{"wrong type", "file \"x\" {\n  path = \"/a\"\n  content = \"\"\n  mode = \"rw\"\n}\n", nil,
			`p.hcl:4:11: Unsuitable value type: Unsuitable value: a number is required`},
		{"bad value", "file \"x\" {\n  path = \"/a\"\n  content = \"\"\n  mode = 4096\n}\n", nil,
			`p.hcl:4:10: Invalid value for mode: mode: "4096" is not valid; expected a permission between 0 and 0777.`},
		{"duplicate block", "file \"x\" {\n  path = \"/a\"\n  content = \"\"\n}\nfile \"x\" {\n  path = \"/b\"\n  content = \"\"\n}\n", nil,
			`p.hcl:5:1: Duplicate file block: file.x is already configured at p.hcl:1,1-9; merge the two blocks.`},
		{"undeclared -var", varProfile, []string{"prot=1"}, `-: Undeclared variable: The profile declares no variable "prot". Did you mean "port"?`},
		{"-var of the wrong type", varProfile, []string{"port=twenty"}, `-: Invalid -var option: -var port=twenty: a number is required (expected number).`},
		{"-var without =", varProfile, []string{"port"}, `-: Invalid -var option: "port": expected NAME=VALUE, for example -var ssh_port=2200.`},
		{"undeclared var reference", "file \"x\" {\n  path = var.nope\n  content = \"\"\n}\n", nil,
			`p.hcl:2:13: Unsupported attribute: This object does not have an attribute named "nope".`},
		{"syntax error", "file \"x\" {\n  path = \n}\n", nil,
			`p.hcl:2:10: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, msgs := load(t, tt.src, nil, tt.vars)
			if !strings.Contains(msgs, tt.want) {
				t.Errorf("diagnostics:\n%s\nwant to contain:\n%s", msgs, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	src, err := profile.Resolve("", root)
	if err != nil || src.Name != "builtin:"+profiles.Default {
		t.Fatalf("default = %q, %v", src.Name, err)
	}
	conf := filepath.Join(root, "etc/harden/profile.hcl")
	_ = os.MkdirAll(filepath.Dir(conf), 0o755)
	_ = os.WriteFile(conf, []byte("# mine\n"), 0o644)
	if src, _ := profile.Resolve("", root); src.Name != "/etc/harden/profile.hcl" {
		t.Errorf("with a conffile: %q", src.Name)
	}
	if src, _ := profile.Resolve("iri-public-node", root); src.Name != "builtin:iri-public-node" {
		t.Errorf("by name: %q", src.Name)
	}
	_, err = profile.Resolve("iri-nod", root)
	if err == nil || !strings.Contains(err.Error(), `did you mean "iri-node"?`) {
		t.Errorf("typo: %v", err)
	}
	if _, err := profile.Resolve("./missing.hcl", root); err == nil {
		t.Error("missing file: no error")
	}
}
