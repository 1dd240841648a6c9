package firewall

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"harden/modules/host/hosttest"
)

// growthCase is one firewall size: a profile block and, for a deny list
// kept in deny_sources_file, the file's content.
type growthCase struct{ name, src, file string }

// profile is the block to decode; path is where the case's file lies.
func (c growthCase) profile(path string) string {
	if c.file == "" {
		return c.src
	}
	return "firewall {\n deny_sources_file = " + strconv.Quote(path) + "\n}"
}

// writeFile puts the case's file into dir and returns its path ("" for a
// case without one).
func (c growthCase) writeFile(b testing.TB, dir string) string {
	if c.file == "" {
		return ""
	}
	path := filepath.Join(dir, "deny-sources.list")
	if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// desired is the table of the case's profile (decoded into m) with the
// case's file, as Plan builds it.
func (c growthCase) desired(b testing.TB, m *Module) *Table {
	if c.file == "" {
		return m.Desired()
	}
	f, err := parseSourceFile(m.Config().DenySourcesFile, []byte(c.file))
	if err != nil {
		b.Fatal(err)
	}
	return fileConverged(b, m, f).Live
}

// growthCases are the firewall sizes of issue 9: N rules (one per SSH
// port with the meters off: the shape a port list had before port sets),
// N ports in allow_tcp_ports (one rule and its set), N denied addresses
// in the profile, and 10,000 in deny_sources_file.
var growthCases = func() []growthCase {
	var out []growthCase
	numbers := func(n, from int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprint(from + i)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	for _, n := range []int{10, 100, 1000} {
		out = append(out, growthCase{name: fmt.Sprintf("rules=%d", n), src: "firewall {\n ssh_rate_limit = null\n ssh_max_connections = null\n ssh_ports = " + numbers(n, 2000) + "\n}"})
	}
	for _, n := range []int{10, 100, 1000} {
		out = append(out, growthCase{name: fmt.Sprintf("ports=%d", n), src: "firewall {\n allow_tcp_ports = " + numbers(n, 20000) + "\n}"})
	}
	for _, n := range []int{10, 100, 1000, 10000} {
		out = append(out, growthCase{name: fmt.Sprintf("addresses=%d", n), src: sourcesProfile(genSources(n))})
	}
	// As a feed ships it: a header, a comment after some entries.
	var feed strings.Builder
	feed.WriteString("# deny list\n# one address or prefix a line\n")
	for i, e := range genSources(10000) {
		if i%100 == 0 {
			e += " ; SBL" + strconv.Itoa(i)
		}
		feed.WriteString(e + "\n")
	}
	out = append(out, growthCase{name: "addresses-file=10000", file: feed.String()})
	return out
}()

// BenchmarkPlan is the drift check on a converged host: build the desired
// table, compare it with the live one, render and compare the file.
func BenchmarkPlan(b *testing.B) {
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			m := New()
			if diags := decodeForBench(b, m, tc.profile(denyList)); diags != "" {
				b.Fatal(diags)
			}
			st := converged(m)
			if tc.file != "" {
				st = fileConverged(b, m, mustParseFile(b, tc.file))
			}
			b.ReportAllocs()
			for b.Loop() {
				if p, err := m.Plan(st); err != nil || !p.Empty() {
					b.Fatalf("plan %v, err %v", addresses(p), err)
				}
			}
		})
	}
}

// BenchmarkDecode parses and decodes the profile block, and reads and
// parses deny_sources_file (part of Read) when the case has one: the cost
// of the profile's side of a plan.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range growthCases {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := hosttest.New(b)
			if tc.file != "" {
				if err := os.MkdirAll(h.Path(filepath.Dir(denyList)), 0o755); err != nil {
					b.Fatal(err)
				}
				tc.writeFile(b, h.Path(filepath.Dir(denyList)))
			}
			src := tc.profile(denyList)
			b.ReportAllocs()
			for b.Loop() {
				m := New()
				if diags := decodeForBench(b, m, src); diags != "" {
					b.Fatal(diags)
				}
				if tc.file != "" {
					if f, err := readSourceFile(h, "deny_sources_file", m.Config().DenySourcesFile); err != nil || len(f.Entries) != 10000 {
						b.Fatalf("read the file: %v", err)
					}
				}
			}
		})
	}
}
