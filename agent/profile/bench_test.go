package profile_test

import (
	"fmt"
	"strings"
	"testing"

	"harden/agent/profile"
	"harden/agent/registry"
	"harden/profiles"
)

// BenchmarkLoadBuiltin decodes each built-in profile as the CLI does: every
// module registered, the source read from the binary.
func BenchmarkLoadBuiltin(b *testing.B) {
	for _, name := range profiles.Names() {
		src, err := profile.Resolve(name, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l := profile.NewLoader(registry.Factories())
				if _, diags := l.Load(src, nil, nil); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkLoadLongList decodes a firewall block with 5,000 deny_sources
// written in the profile (100 KB): large enough that the nesting check
// tokenizes it before hcl parses it.
func BenchmarkLoadLongList(b *testing.B) {
	var list strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&list, "    \"198.%d.%d.0/24\",\n", 18+i/256%2, i%256)
	}
	src := profile.Source{Name: "list.hcl", Bytes: []byte("firewall {\n  deny_sources = [\n" + list.String() + "  ]\n}\n")}
	b.ReportAllocs()
	for b.Loop() {
		l := profile.NewLoader(registry.Factories())
		if _, diags := l.Load(src, nil, nil); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
