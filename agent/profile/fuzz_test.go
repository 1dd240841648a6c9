package profile_test

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"harden/agent/profile"
	"harden/agent/registry"
	"harden/profiles"
)

// FuzzProfile feeds arbitrary bytes through the whole decode, with every
// module registered as the CLI registers them: as a profile, as a -var-file
// and as a -var value. Whatever the input: no panic, a bounded stack (64 MiB
// here; a stack overflow kills the worker and fails the run), bounded
// allocation and time, and every error diagnostic of a file points at a
// place in it.
func FuzzProfile(f *testing.F) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	for _, name := range profiles.Names() {
		data, _ := profiles.Get(name)
		f.Add(data)
	}
	for _, src := range hostileSeeds() {
		f.Add([]byte(src))
	}
	varFile := filepath.Join(f.TempDir(), "vars.hcl")
	f.Fuzz(func(t *testing.T, data []byte) {
		within := bounded(t, len(data))
		defer within()
		l := profile.NewLoader(registry.Factories())
		_, diags := l.Load(profile.Source{Name: "fuzz.hcl", Bytes: data}, nil, nil)
		requirePositions(t, "profile", diags)
		if depth, bound := profile.Depth(data), profile.NestingBound(data); depth > bound {
			t.Errorf("nesting measured %d deep, above its bound %d from the bytes", depth, bound)
		}

		if err := os.WriteFile(varFile, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, diags = profile.NewLoader(registry.Factories()).Load(variables, []string{varFile}, nil)
		requirePositions(t, "-var-file", diags)

		_, _ = profile.NewLoader(registry.Factories()).Load(variables, nil, []string{"list=" + string(data)})
	})
}

// variables declares a variable of each kind for -var-file and -var to set.
var variables = profile.Source{Name: "vars.hcl", Bytes: []byte(`
variable "port" { default = 2222 }
variable "name" { type = string }
variable "list" { type = list(any) }
variable "map" { type = map(string) }
variable "any" {}
`)}

// hostileSeeds: each way of nesting past the limit (small, so the fuzzer
// mutates them quickly), files that are not profiles, and broken syntax.
func hostileSeeds() []string {
	var seeds []string
	for name, src := range deepCasesOf(func(open, inner, end string) string {
		return nestTo(6000, open, inner, end)
	}) {
		if !strings.HasPrefix(name, "-var") {
			seeds = append(seeds, src)
		}
	}
	return append(seeds,
		strings.Repeat("\x00\xff", 100),
		strings.Repeat("word\n", 100),
		"\ufeffuser \"iri\" {\r\n  home = \"/var/lib/iri\"\r\n}\r\n",
		"variable \"x\" {\n  default = <<EOF\n${\n",
		"variable \"x\" {\n  default = \"%{if true}${\"%{for x in [1]}\"}\"\n}\n",
		"variable \"x\" {\n  default = var.x\n}\n",
		"firewall {\n  deny_sources = [\"203.0.113.7\\n\", \"\\u0000\"]\n}\n",
		"sshd {\n  allow_users = [\"x\\nMatch all\"]\n}\n",
		"haproxy {\n  node = \"127.0.0.1:14265\\nstats admin if TRUE\"\n}\n",
		"user \"iri\" {\n}\nuser \"iri\" {\n}\n",
		"iri {\n  settings = { PORT = 1e400 }\n}\n",
		"port = 2200\nname = \"x\"\nlist = [[1], {a = 2}]\nmap = { a = \"b\" }\nprot = 1\n",
	)
}

// bounded checks, when the returned func runs, that one input took at most
// 10 s (a hang, not a speed target) and allocated at most 32 MiB plus 8 KiB
// per input byte: the input is decoded three times, and tokenizing and
// parsing dense input ([1,1,...]) allocate about 1.5 KiB per byte together.
func bounded(t *testing.T, size int) func() {
	start, allocs := time.Now(), allocated()
	return func() {
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("decoding %d bytes took %s", size, took)
		}
		if got, limit := allocated()-allocs, uint64(32<<20+8192*size); got > limit {
			t.Errorf("decoding %d bytes allocated %d MiB, more than %d MiB", size, got>>20, limit>>20)
		}
	}
}

func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func requirePositions(t *testing.T, what string, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject == nil {
			t.Errorf("%s: error without a position: %s: %s", what, d.Summary, d.Detail)
		}
	}
}
