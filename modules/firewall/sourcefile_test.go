package firewall

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

const denyList = "/etc/harden/deny-sources.list"

func TestParseSourceFile(t *testing.T) {
	content := "\xef\xbb\xbf# FireHOL-style header\r\n" +
		"  203.0.113.7  \n" +
		"198.51.100.0/24 ; SBL256894\n" +
		"\n" +
		"2001:db8::/32# no blank before the comment\n" +
		";; a Spamhaus comment line\n" +
		"\t192.0.2.1\r\n" +
		"203.0.113.7\n" + // a duplicate: merged
		"198.51.100.9" // inside 198.51.100.0/24, no final newline
	f, err := parseSourceFile(denyList, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range f.Entries {
		lines = append(lines, fmt.Sprintf("%d:%s", e.Line, formatPrefix(e.Prefix)))
	}
	if got := strings.Join(lines, " "); got != "2:203.0.113.7 3:198.51.100.0/24 5:2001:db8::/32 7:192.0.2.1 8:203.0.113.7 9:198.51.100.9" {
		t.Errorf("entries %s", got)
	}
	if got := fmt.Sprint(f.Prefixes); got != "[192.0.2.1/32 198.51.100.0/24 203.0.113.7/32 2001:db8::/32]" {
		t.Errorf("merged to %s", got)
	}
	for _, empty := range []string{"", "\n\n", "# nothing yet\n; nor here\n   \n"} {
		if f, err := parseSourceFile(denyList, []byte(empty)); err != nil || len(f.Entries) != 0 || len(f.Prefixes) != 0 {
			t.Errorf("%q: %v, %v", empty, f, err)
		}
	}
}

func TestParseSourceFileErrors(t *testing.T) {
	header := strings.Repeat("# comment\n", 16) // the bad entry is on line 17
	for _, tc := range []struct{ line, want string }{
		{"203.0.113.300", `"203.0.113.300" is not an IPv4 or IPv6 address or CIDR prefix`},
		{"  203.0.113.0/33 ; SBL1", `"203.0.113.0/33" is not an IPv4 or IPv6 address or CIDR prefix`},
		{"example.org", `"example.org" is not an IPv4 or IPv6 address or CIDR prefix`},
		{"fe80::1%eth0", `"fe80::1%eth0" is not an IPv4 or IPv6 address or CIDR prefix`},
		{"203.0.113.7 198.51.100.1", `"203.0.113.7 198.51.100.1" is not an IPv4 or IPv6 address or CIDR prefix`},
		{"203.0.113.7,", `"203.0.113.7," is not an IPv4 or IPv6 address or CIDR prefix`},
		{"192.0.2.7/24", `"192.0.2.7/24" has host bits set: write the prefix as 192.0.2.0/24`},
		{"::ffff:203.0.113.7", `"::ffff:203.0.113.7" is an IPv4-mapped IPv6 address: write it as 203.0.113.7 ` +
			`(IPv4 packets never carry a mapped address)`},
		{"::ffff:198.51.100.0/120", `"::ffff:198.51.100.0/120" is an IPv4-mapped IPv6 address: write it as ` +
			`198.51.100.0/24 (IPv4 packets never carry a mapped address)`},
	} {
		t.Run(tc.line, func(t *testing.T) {
			f, err := parseSourceFile(denyList, []byte(header+"203.0.113.9\n"+tc.line+"\n198.51.100.1\n"))
			want := "firewall: /etc/harden/deny-sources.list:18: " + tc.want
			if err == nil || err.Error() != want {
				t.Fatalf("err:\n%v\nwant:\n%s", err, want)
			}
			if f != nil {
				t.Error("a file with a bad entry returned entries")
			}
		})
	}
}

func TestParseSourceFileErrorsAreBounded(t *testing.T) {
	entries := genSources(40)
	for i := range entries {
		if i%5 == 1 {
			entries[i] = "x" + entries[i]
		}
	}
	_, err := parseSourceFile(denyList, []byte(strings.Join(entries, "\n")))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxSourceDiags+1 || !strings.HasPrefix(lines[0], `firewall: /etc/harden/deny-sources.list:2: "x100.64.0.1" is not`) ||
		!strings.HasPrefix(lines[4], "firewall: /etc/harden/deny-sources.list:22: ") ||
		lines[5] != "firewall: /etc/harden/deny-sources.list: 3 more entries are not valid" {
		t.Errorf("error:\n%v", err)
	}
}

func TestDecodeDenySourcesFile(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, "firewall {\n  deny_sources_file = \"/etc/harden/../harden/deny-sources.list\"\n}")
	if got := m.Config().DenySourcesFile; got != denyList {
		t.Errorf("path %q", got)
	}
	moduletest.MustDecode(t, m, "firewall {\n  deny_sources_file = null\n}")
	if got := m.Config().DenySourcesFile; got != "" {
		t.Errorf("null decoded to %q", got)
	}
	for _, p := range []string{"deny-sources.list", "./etc/deny.list", ""} {
		moduletest.WantOneDiag(t, moduletest.Decode(t, New(), fmt.Sprintf("firewall {\n  deny_sources_file = %q\n}", p), nil),
			fmt.Sprintf(`deny_sources_file: %q is not valid; expected an absolute path on the machine such as `+
				`"/etc/harden/deny-sources.list", or null.`, p), 2, 23)
	}
}

// fileHost is a test root holding the deny list with content.
func fileHost(t *testing.T, content string) (*host.Host, *hosttest.Systemd) {
	t.Helper()
	h, sd := hosttest.New(t)
	writeUnit(t, h)
	writeDenyList(t, h, content)
	return h, sd
}

func writeDenyList(t *testing.T, h *host.Host, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(h.Path(denyList)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path(denyList), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// changeDiff returns the removed and added lines of a text change.
func changeDiff(c module.Change) (minus, plus []string) {
	for _, l := range strings.Split(udiff.Unified("before", "after", c.Before, c.After), "\n") {
		switch {
		case strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			minus = append(minus, l)
		case strings.HasPrefix(l, "+"):
			plus = append(plus, l)
		}
	}
	return minus, plus
}

const fileProfile = `firewall {
  deny_sources      = ["203.0.113.7", "2001:db8::/32", "10.0.0.1"]
  deny_sources_file = "/etc/harden/deny-sources.list"
}`

const feed = `# a test feed
198.51.100.0/24 ; SBL1
203.0.113.7     ; also in the profile
192.0.2.0/25
2001:db8:1::/48 ; inside the profile's 2001:db8::/32
2001:db9::/32
`

// Read takes the file from the host's root; Plan joins it to deny_sources
// and says where the entries came from; apply, replan empty; an edit of
// the file is drift.
func TestDenyFileReadPlanApply(t *testing.T) {
	ctx := context.Background()
	h, _ := fileHost(t, feed)
	m := decoded(t, fileProfile)
	m.check = func(context.Context, *host.Host, []byte) error { return nil }
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) == 0 || p.Changes[0].Address != "firewall.file["+persistPath+"]" {
		t.Fatalf("changes %v", addresses(p))
	}
	moduletest.Golden(t, "deny-file.nft", []byte(p.Changes[0].After))
	wantNotes := []string{p.Notes[0], // offline
		"deny_v4: 4 entries, 3 from /etc/harden/deny-sources.list",
		"deny_v6: 2 entries, 1 from /etc/harden/deny-sources.list"}
	if !slices.Equal(p.Notes, wantNotes) {
		t.Errorf("notes %q", p.Notes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if st, err = m.Read(ctx, h); err != nil {
		t.Fatal(err)
	}
	if p, err := m.Plan(st); err != nil || !p.Empty() {
		t.Fatalf("plan after apply %v, err %v", addresses(p), err)
	}

	writeDenyList(t, h, strings.Replace(feed, "192.0.2.0/25", "192.0.2.128/25", 1))
	if st, err = m.Read(ctx, h); err != nil {
		t.Fatal(err)
	}
	if p, err = m.Plan(st); err != nil {
		t.Fatal(err)
	}
	if got := addresses(p); len(got) != 1 || got[0] != "update firewall.file["+persistPath+"]" {
		t.Fatalf("after editing the file: %v", got)
	}
	if minus, plus := changeDiff(p.Changes[0]); !slices.Equal(minus, []string{"-\t\t\t192.0.2.0/25,"}) ||
		!slices.Equal(plus, []string{"+\t\t\t192.0.2.128/25,"}) {
		t.Errorf("diff removes %q and adds %q", minus, plus)
	}
}

func TestDenyFileReadErrors(t *testing.T) {
	ctx := context.Background()
	m := decoded(t, fileProfile)
	h, _ := hosttest.New(t)
	writeUnit(t, h)
	_, err := m.Read(ctx, h)
	want := "firewall: deny_sources_file: /etc/harden/deny-sources.list does not exist (the firewall block's " +
		"deny_sources_file names it): create it, one address or CIDR prefix a line, or remove deny_sources_file"
	if err == nil || err.Error() != want {
		t.Errorf("missing file:\n%v\nwant:\n%s", err, want)
	}
	h, _ = fileHost(t, feed+"203.0.113.300\n")
	_, err = m.Read(ctx, h)
	want = `firewall: /etc/harden/deny-sources.list:7: "203.0.113.300" is not an IPv4 or IPv6 address or CIDR prefix`
	if err == nil || err.Error() != want {
		t.Errorf("bad entry:\n%v\nwant:\n%s", err, want)
	}
	// A state without the file (never read) is not planned from.
	if _, err := m.Plan(converged(m)); err == nil || err.Error() != "firewall: plan: /etc/harden/deny-sources.list was not read" {
		t.Errorf("plan without the file: %v", err)
	}
}

// fileConverged is the state after applying m's profile with f as the file.
func fileConverged(t testing.TB, m *Module, f *SourceFile) *State {
	t.Helper()
	d, err := m.desired(&State{DenyFile: f})
	if err != nil {
		t.Fatal(err)
	}
	st := convergedTo(m, d)
	st.DenyFile = f
	return st
}

func mustParseFile(t testing.TB, content string) *SourceFile {
	t.Helper()
	f, err := parseSourceFile(denyList, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// 10,000 entries from the file: one changed line is a one-line diff of the
// live table, and the note counts them.
func TestLargeDenyFilePlanIsASmallDiff(t *testing.T) {
	deny := genSources(10000)
	m := decoded(t, "firewall {\n  deny_sources_file = \""+denyList+"\"\n}")
	st := fileConverged(t, m, mustParseFile(t, strings.Join(deny, "\n")+"\n"))
	if p, err := m.Plan(st); err != nil || !p.Empty() {
		t.Fatalf("converged plan %v, err %v", addresses(p), err)
	}
	changed := slices.Clone(deny)
	changed[5000] = "198.51.100.77 ; a new one"
	st.DenyFile = mustParseFile(t, strings.Join(changed, "\n")+"\n")
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	minus, plus := tableDiff(t, p)
	if !slices.Equal(minus, []string{"-\t\t\t100.64.19.136,"}) || !slices.Equal(plus, []string{"+\t\t\t198.51.100.77,"}) {
		t.Errorf("diff removes %q and adds %q", minus, plus)
	}
	if want := []string{"deny_v4: 9,100 entries, 9,100 from " + denyList, "deny_v6: 900 entries, 900 from " + denyList}; !slices.Equal(p.Notes, want) {
		t.Errorf("notes %q", p.Notes)
	}
}

func TestDenyFileLockoutGuard(t *testing.T) {
	const override = "or set allow_operator_lockout = true in the firewall block if you reach this machine another way"
	m := decoded(t, "firewall {\n  deny_sources_file = \""+denyList+"\"\n}")
	st := fileConverged(t, m, mustParseFile(t, "# feed\n198.51.100.0/24\n\n203.0.113.0/24 ; SBL9\n"))
	st.SSHSource, st.SSHPort = sshSession("203.0.113.7 50000 192.0.2.1 22")
	_, err := m.Plan(st)
	want := "firewall: /etc/harden/deny-sources.list:4 (deny_sources_file) holds 203.0.113.0/24, which holds " +
		"203.0.113.7, the address of your SSH session (SSH_CONNECTION): the ruleset would drop every packet " +
		"from it: remove that line, " + override
	if err == nil || err.Error() != want {
		t.Fatalf("err:\n%v\nwant:\n%s", err, want)
	}
	st.SSHSource, st.SSHPort = sshSession("192.0.2.7 50000 192.0.2.1 22")
	if _, err := m.Plan(st); err != nil {
		t.Fatalf("a session from elsewhere: %v", err)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("%d: %s", n, got)
		}
	}
}

func TestEntriesInWords(t *testing.T) {
	for n, want := range map[int]string{0: "0 entries", 1: "1 entry", 2: "2 entries", 999: "999 entries",
		1000: "1,000 entries", 1234567: "1,234,567 entries"} {
		if got := entries(n); got != want {
			t.Errorf("entries(%d) = %q, want %q", n, got, want)
		}
	}
}
