package firewall

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/zclconf/go-cty/cty"

	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// genSources returns n distinct entries for an address list, as a
// generated deny list would hold them: mostly IPv4 hosts in 100.64.0.0/10,
// every tenth an IPv6 /64 in 2001:db8::/32, every hundredth an IPv4 /24.
func genSources(n int) []string {
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		switch {
		case i%100 == 99:
			out = append(out, fmt.Sprintf("100.%d.%d.0/24", 100+i/25600%27, i/100%256))
		case i%10 == 9:
			out = append(out, fmt.Sprintf("2001:db8:%x:%x::/64", i/65536, i%65536))
		default:
			out = append(out, fmt.Sprintf("100.%d.%d.%d", 64+i/65536%36, i/256%256, i%256))
		}
	}
	return out
}

// hclList is a literal HCL list of strings.
func hclList(entries []string) string {
	return `["` + strings.Join(entries, `", "`) + `"]`
}

func TestDecodeSources(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, `firewall {
  deny_sources      = ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32", "198.51.100.9", "203.0.113.7", "2001:db8:1::1"]
  ssh_allow_sources = ["192.0.2.10", "2001:db8:ffff::/48"]
}`)
	cfg := m.Config()
	if got := fmt.Sprint(cfg.DenySources); got != "[198.51.100.0/24 203.0.113.7/32 2001:db8::/32]" {
		t.Errorf("deny_sources merged to %s", got)
	}
	if got := fmt.Sprint(cfg.SSHAllowSources); got != "[192.0.2.10/32 2001:db8:ffff::/48]" {
		t.Errorf("ssh_allow_sources decoded to %s", got)
	}
	for _, src := range []string{"deny_sources = null\nssh_allow_sources = []", "ssh_allow_sources = null"} {
		moduletest.MustDecode(t, m, "firewall {\n"+src+"\n}")
		if c := m.Config(); len(c.DenySources) != 0 || len(c.SSHAllowSources) != 0 {
			t.Errorf("%q: lists %v %v, want none", src, c.DenySources, c.SSHAllowSources)
		}
		if Build(m.Config()).String() != Build(defaultConfig()).String() {
			t.Errorf("%q: table differs from the default one", src)
		}
	}
}

func TestDecodeSourceDiagnostics(t *testing.T) {
	expected := `expected an IPv4 or IPv6 address or CIDR prefix such as "203.0.113.7", "198.51.100.0/24" or "2001:db8::/32".`
	for _, tc := range []struct {
		src, detail string
		line, col   int
	}{
		{`deny_sources = ["203.0.113.7", "203.0.113.300"]`,
			`deny_sources: "203.0.113.300" is not valid; ` + expected, 2, 32},
		{"ssh_allow_sources = [\n  \"192.0.2.1\",\n  \"192.0.2.7/24\",\n]",
			`ssh_allow_sources: "192.0.2.7/24" is not valid; expected a prefix without host bits. Did you mean "192.0.2.0/24"?`, 4, 3},
		{`deny_sources = ["fe80::1%eth0"]`, `deny_sources: "fe80::1%eth0" is not valid; ` + expected, 2, 17},
		{`deny_sources = ["example.org"]`, `deny_sources: "example.org" is not valid; ` + expected, 2, 17},
		{`deny_sources = ["::ffff:203.0.113.7"]`,
			`deny_sources: "::ffff:203.0.113.7" is not valid; expected IPv4 written as IPv4 ("203.0.113.7"): IPv4 packets never carry a mapped address.`, 2, 17},
		{`deny_sources = "203.0.113.7"`, "deny_sources: expected a list of addresses or prefixes (strings), or null.", 2, 16},
		{`deny_sources = ["203.0.113.7", ["198.51.100.1"]]`,
			"deny_sources: element 2 is not one of addresses or prefixes (strings).", 2, 32},
		{`allow_tcp_ports = [80, "http"]`, "allow_tcp_ports: element 2 is not one of ports (numbers).", 2, 24},
		{`allow_tcp_ports = [80, 443.5]`, `allow_tcp_ports: "443.5" is not valid; expected a port from 1 to 65535.`, 2, 19},
	} {
		t.Run(tc.src, func(t *testing.T) {
			moduletest.WantOneDiag(t, moduletest.Decode(t, New(), "firewall {\n"+tc.src+"\n}", nil), tc.detail, tc.line, tc.col)
		})
	}
	// A list from a variable: the attribute is the position.
	vars := map[string]cty.Value{"deny": cty.ListVal([]cty.Value{cty.StringVal("203.0.113.0/33")})}
	moduletest.WantOneDiag(t, moduletest.Decode(t, New(), "firewall {\ndeny_sources = var.deny\n}", vars),
		`deny_sources: "203.0.113.0/33" is not valid; `+expected, 2, 16)
}

func TestDecodeSourceDiagnosticsAreBounded(t *testing.T) {
	entries := genSources(100)
	for i := range entries {
		if i%3 == 0 {
			entries[i] = "bad" + entries[i]
		}
	}
	diags := moduletest.Decode(t, New(), "firewall {\ndeny_sources = "+hclList(entries)+"\n}", nil)
	if len(diags) != maxSourceDiags+1 {
		t.Fatalf("%d diagnostics, want %d: %v", len(diags), maxSourceDiags+1, diags)
	}
	if last := diags[len(diags)-1]; last.Detail != "deny_sources: 29 more entries are not valid." ||
		last.Subject.Start.Line != 2 || last.Subject.Start.Column != 16 {
		t.Errorf("summary diagnostic: %q at %v", last.Detail, last.Subject)
	}
	if d := diags[1]; !strings.HasPrefix(d.Detail, `deny_sources: "bad`) || d.Subject.Start.Column <= 16 {
		t.Errorf("second diagnostic: %q at %v", d.Detail, d.Subject)
	}
}

func TestDecodePortSetCap(t *testing.T) {
	ports := make([]string, maxSetPorts+1)
	for i := range ports {
		ports[i] = fmt.Sprint(20000 + i)
	}
	diags := moduletest.Decode(t, New(), "firewall {\nallow_udp_ports = ["+strings.Join(ports, ", ")+"]\n}", nil)
	moduletest.WantOneDiag(t, diags,
		`allow_udp_ports: "4001 ports" is not valid; expected at most 4000 ports (the set one rule matches).`, 2, 19)
}

func TestMergePrefixes(t *testing.T) {
	in := []string{"10.0.0.0/8", "10.1.2.3/32", "2001:db8::/48", "2001:db8::/32", "192.0.2.0/25",
		"192.0.2.128/25", "10.0.0.0/8", "0.0.0.0/0"}
	var ps []netip.Prefix
	for _, s := range in {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	if got := fmt.Sprint(mergePrefixes(ps)); got != "[0.0.0.0/0 2001:db8::/32]" {
		t.Errorf("with 0.0.0.0/0: %s", got)
	}
	if got := fmt.Sprint(mergePrefixes(ps[:7])); got != "[10.0.0.0/8 192.0.2.0/25 192.0.2.128/25 2001:db8::/32]" {
		t.Errorf("without: %s", got)
	}
}

func TestRangePrefixes(t *testing.T) {
	for _, tc := range []struct{ first, last, want string }{
		{"10.0.0.0", "10.0.0.255", "[10.0.0.0/24]"},
		{"10.0.0.1", "10.0.0.6", "[10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32]"},
		{"0.0.0.0", "255.255.255.255", "[0.0.0.0/0]"},
		{"255.255.255.254", "255.255.255.255", "[255.255.255.254/31]"},
		{"2001:db8::", "2001:db8::ffff", "[2001:db8::/112]"},
	} {
		got := fmt.Sprint(rangePrefixes(netip.MustParseAddr(tc.first), netip.MustParseAddr(tc.last)))
		if got != tc.want {
			t.Errorf("%s-%s: %s, want %s", tc.first, tc.last, got, tc.want)
		}
	}
}

// Prefixes → kernel interval elements → prefixes, in whatever order the
// kernel dumps them and with the leading end element nft adds.
func TestIntervalElementsRoundTrip(t *testing.T) {
	for _, list := range [][]string{
		{"0.0.0.0/8", "10.0.0.0/25", "10.0.0.128/25", "203.0.113.7", "255.255.255.0/24"},
		{"::/0"}, {"0.0.0.0/0"}, {"2001:db8::/32", "2001:db9::1", "ffff::/16"},
	} {
		var ps []netip.Prefix
		for _, s := range list {
			p, err := parsePrefix(s)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		elems := intervalElements(ps)
		rand.Shuffle(len(elems), func(i, j int) { elems[i], elems[j] = elems[j], elems[i] })
		zero := make([]byte, len(elems[0].Key))
		elems = append(elems, nftables.SetElement{Key: zero, IntervalEnd: true})
		if got := prefixesOfIntervals(elems); !slices.Equal(got, ps) {
			t.Errorf("%v read back as %v", ps, got)
		}
	}
}

func TestParseTableReadsNftsLayout(t *testing.T) {
	// As `nft list table` prints a table harden loaded (elements wrapped
	// nft's way, a long port set inline, counters with values).
	listed := `table inet harden {
	set deny_v4 {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/25, 10.0.0.128/25,
			     10.1.0.0-10.1.0.5, 203.0.113.7 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @deny_v4 counter packets 3 bytes 180 drop
		tcp dport { 20000, 20001, 20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009 } accept
	}
}
`
	got, err := ParseTable(listed)
	if err != nil {
		t.Fatal(err)
	}
	want := `table inet harden {
	set deny_v4 {
		type ipv4_addr
		flags interval
		elements = {
			10.0.0.0/25,
			10.0.0.128/25,
			10.1.0.0/30,
			10.1.0.4/31,
			203.0.113.7,
		}
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @deny_v4 counter drop
		tcp dport {
			20000,
			20001,
			20002,
			20003,
			20004,
			20005,
			20006,
			20007,
			20008,
			20009,
		} accept
	}
}
`
	if got.String() != want {
		t.Fatalf("parsed as:\n%s", got)
	}
	again, err := ParseTable(got.String())
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("own text parses differently (err %v):\n%s", err, again)
	}
}

func sourcesProfile(deny []string) string {
	return "firewall {\n  deny_sources = " + hclList(deny) + "\n}"
}

// 10,000 addresses: the text parses back to the same table, and changing
// one entry shows as a one-line diff in the plan.
func TestLargeDenySetPlanIsASmallDiff(t *testing.T) {
	deny := genSources(10000)
	m := decoded(t, sourcesProfile(deny))
	tbl := m.Desired()
	if n := len(tbl.Sets[0].Elements) + len(tbl.Sets[1].Elements); n != 10000 {
		t.Fatalf("%d elements in deny_v4 and deny_v6, want 10000", n)
	}
	parsed, err := ParseTable(renderFile(tbl))
	if err != nil || !parsed.Equal(tbl) {
		t.Fatalf("rendered file parses differently (err %v)", err)
	}

	st := converged(m)
	changed := slices.Clone(deny)
	changed[5000] = "198.51.100.77"
	m = decoded(t, sourcesProfile(changed))
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	minus, plus := tableDiff(t, p)
	if !slices.Equal(minus, []string{"-\t\t\t100.64.19.136,"}) || !slices.Equal(plus, []string{"+\t\t\t198.51.100.77,"}) {
		t.Errorf("diff removes %q and adds %q", minus, plus)
	}
}

// A thousand ports: one rule, and one more port is a one-line diff.
func TestLargePortSetPlanIsASmallDiff(t *testing.T) {
	ports := make([]string, 1000)
	for i := range ports {
		ports[i] = fmt.Sprint(20000 + 2*i)
	}
	profile := func(ports []string) string {
		return "firewall {\n  allow_tcp_ports = [" + strings.Join(ports, ", ") + "]\n}"
	}
	m := decoded(t, profile(ports))
	if n, base := len(m.Desired().Chain("input").Rules), len(Build(defaultConfig()).Chain("input").Rules); n != base+1 {
		t.Fatalf("%d input rules, want %d", n, base+1)
	}
	st := converged(m)
	m = decoded(t, profile(append(ports, "20001")))
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if minus, plus := tableDiff(t, p); len(minus) != 0 || !slices.Equal(plus, []string{"+\t\t\t20001,"}) {
		t.Errorf("diff removes %q and adds %q", minus, plus)
	}
}

// tableDiff returns the removed and added lines of the plan's table change
// as the plan renderer's unified diff shows them.
func tableDiff(t *testing.T, p module.Plan) (minus, plus []string) {
	t.Helper()
	if len(p.Changes) == 0 || p.Changes[0].Address != "firewall.table[inet harden]" {
		t.Fatalf("no table change first: %v", addresses(p))
	}
	return changeDiff(p.Changes[0])
}

func TestAcceptsTCPFollowsSets(t *testing.T) {
	m := decoded(t, `firewall {
  allow_tcp_ports   = [80, 443, 8080]
  deny_sources      = ["198.51.100.0/24", "2001:db8:bad::/48"]
  ssh_allow_sources = ["192.0.2.0/24", "198.51.100.7", "2001:db8::/32"]
}`)
	tbl := m.Desired()
	for _, tc := range []struct {
		src  string
		port int
		want bool
	}{
		{"203.0.113.1", 443, true}, {"203.0.113.1", 8080, true}, {"203.0.113.1", 81, false},
		{"198.51.100.1", 443, false}, {"2001:db8:bad::1", 443, false}, {"2001:db8:900d::1", 443, true},
		{"192.0.2.9", 22, true}, {"203.0.113.1", 22, false}, {"2001:db8:1::1", 22, true},
		{"2001:db9::1", 22, false},
		{"198.51.100.7", 22, false}, // allowed for SSH, but denied first
		{"192.0.2.9", 14265, false},
	} {
		if got := tbl.acceptsTCP(netip.MustParseAddr(tc.src), tc.port); got != tc.want {
			t.Errorf("from %s to %d: accepted %v, want %v", tc.src, tc.port, got, tc.want)
		}
	}
}

func TestPlanLockoutGuardSources(t *testing.T) {
	const override = "or set allow_operator_lockout = true in the firewall block if you reach this machine another way"
	for _, tc := range []struct {
		name, src, session, want string
	}{
		{"denied address", `deny_sources = ["203.0.113.7"]`, "203.0.113.7 50000 192.0.2.1 22",
			"firewall: deny_sources holds 203.0.113.7 the address of your SSH session (SSH_CONNECTION): the ruleset " +
				"would drop every packet from it: remove it from deny_sources, " + override},
		{"denied prefix", `deny_sources = ["203.0.113.0/24"]`, "::ffff:203.0.113.7 50000 ::ffff:192.0.2.1 2222",
			"firewall: deny_sources holds 203.0.113.0/24, which holds 203.0.113.7, the address of your SSH session " +
				"(SSH_CONNECTION): the ruleset would drop every packet from it: remove it from deny_sources, " + override},
		{"not in the ssh allow list", `ssh_allow_sources = ["192.0.2.0/24"]`, "2001:db8::7 50000 2001:db8::1 22",
			"firewall: ssh_allow_sources does not hold 2001:db8::7, the address of your SSH session (SSH_CONNECTION): " +
				"the ruleset would drop new SSH connections from it: add it (or a prefix holding it) to " +
				"ssh_allow_sources, " + override},
		{"in the ssh allow list", `ssh_allow_sources = ["192.0.2.0/24", "2001:db8::/32"]`, "2001:db8::7 50000 2001:db8::1 22", ""},
		{"denied elsewhere", `deny_sources = ["203.0.113.0/24"]`, "198.51.100.7 50000 192.0.2.1 22", ""},
		{"override", "deny_sources = [\"203.0.113.7\"]\nallow_operator_lockout = true", "203.0.113.7 50000 192.0.2.1 22", ""},
		{"not over ssh", `deny_sources = ["0.0.0.0/0"]`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := decoded(t, "firewall {\n  ssh_ports = [22, 2222]\n"+tc.src+"\n}")
			st := converged(m)
			st.SSHSource, st.SSHPort = sshSession(tc.session)
			_, err := m.Plan(st)
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Fatalf("err:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// Two address lists and a port set survive model → expressions → model.
func TestSetsCompileDecompile(t *testing.T) {
	tbl := goldenTable(t, goldenProfiles["address-sets"])
	seen := 0
	for _, r := range tbl.Chain("input").Rules {
		exprs, err := compileRule(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		back := decompileRule(exprs, setsOf(tbl, r))
		if !reflect.DeepEqual(back, r) {
			t.Errorf("got %s\nwant %s", back, r)
		}
		if strings.Contains(r.String(), "@deny") || strings.Contains(r.String(), "@ssh_allow") ||
			strings.Contains(r.String(), "dport {") {
			seen++
		}
		// Without the sets known, a lookup is not understood.
		if strings.Contains(r.String(), "dport {") && !decompileRule(exprs, readSets{}).hasUnknown() {
			t.Errorf("%s decompiled without its set", r)
		}
	}
	if seen != 5 {
		t.Errorf("%d rules use sets, want 5", seen)
	}
}

func (r Rule) hasUnknown() bool {
	return (&Table{Chains: []Chain{{Rules: []Rule{r}}}}).HasUnknown()
}

// decodeForBench decodes src into m and links it; "" when all is well.
func decodeForBench(b testing.TB, m *Module, src string) string {
	if diags := moduletest.Decode(b, m, src, nil); diags.HasErrors() {
		return diags.Error()
	}
	if diags := m.Link(peers{}); diags.HasErrors() {
		return diags.Error()
	}
	return ""
}
