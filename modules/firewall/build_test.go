package firewall

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/nftables/expr"

	"harden/modules/module/moduletest"
)

// Profiles whose tables are pinned in testdata/<name>.nft (the persisted
// file, which holds the table's text form).
var goldenProfiles = map[string]string{
	"default":         `firewall {}`,
	"iri-node":        `firewall { public_api_port = null }`,
	"iri-public-node": `firewall { public_api_max_connections = 32 }`,
	"cis-output-drop": "firewall {\n output_policy = \"drop\"\n gossip_udp_port = 14600\n allow_tcp_ports = [8080]\n}",
	"no-meters": "firewall {\n ssh_ports = [22, 2222]\n ssh_rate_limit = null\n ssh_max_connections = null\n" +
		" gossip_tcp_port = null\n public_api_port = null\n}",
	"address-sets": `firewall {
  allow_tcp_ports   = [8080, 443, 80]
  allow_udp_ports   = [51820]
  deny_sources      = ["203.0.113.7", "198.51.100.0/24", "198.51.100.9", "2001:db8:dead::/48", "0.0.0.0/8"]
  ssh_allow_sources = ["192.0.2.0/24", "192.0.2.128/25", "2001:db8:1::/48"]
}`,
	"port-sets": `firewall {
  ssh_ports       = [22, 2222]
  allow_tcp_ports = [20000, 20001, 20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009, 20010, 20011]
  allow_udp_ports = [53, 123]
  output_policy   = "drop"
}`,
}

// dockerHostProfile is a profile planned on a machine where Docker was found:
// its table also has the chains for container traffic.
const dockerHostProfile = `firewall {
  gossip_udp_port = 14600
  allow_tcp_ports = [443]
  deny_sources    = ["203.0.113.7", "2001:db8:dead::/48"]
}`

// goldenTables are the tables pinned in testdata: those of goldenProfiles,
// and docker-host.nft, dockerHostProfile's table with Docker's bridges.
func goldenTables(t *testing.T) map[string]*Table {
	t.Helper()
	out := map[string]*Table{}
	for name, src := range goldenProfiles {
		out[name] = goldenTable(t, src)
	}
	m := New()
	moduletest.MustDecode(t, m, dockerHostProfile)
	cfg := m.Config()
	cfg.ForwardFrom = containerRuntimes[0].bridges
	out["docker-host"] = Build(cfg)
	return out
}

func goldenTable(t *testing.T, src string) *Table {
	t.Helper()
	m := New()
	moduletest.MustDecode(t, m, src)
	if diags := m.Link(peers{}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return m.Desired()
}

func TestBuildGolden(t *testing.T) {
	for name, tbl := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			moduletest.Golden(t, name+".nft", []byte(renderFile(tbl)))
		})
	}
}

// The shape every profile must keep whatever the settings.
func TestBuildInvariants(t *testing.T) {
	for name, tbl := range goldenTables(t) {
		in := tbl.Chain("input")
		if in == nil || in.Policy != "drop" || tbl.Chain("forward").Policy != "drop" {
			t.Fatalf("%s: input and forward must drop by default", name)
		}
		// Without container networking nothing is forwarded at all.
		if name != "docker-host" && (len(tbl.Chain("forward").Rules) > 0 || tbl.Chain("prerouting") != nil) {
			t.Errorf("%s: forward rules or a prerouting chain on a host without containers", name)
		}
		if in.Rules[0].String() != `iif "lo" accept` {
			t.Errorf("%s: loopback is not accepted first: %s", name, in.Rules[0])
		}
		if tbl.acceptsTCP(anySource, NodeAPIPort) {
			t.Errorf("%s: node API port %d open", name, NodeAPIPort)
		}
		text := tbl.String()
		if strings.Contains(text, "dport 14265") {
			t.Errorf("%s: a rule mentions 14265", name)
		}
	}
	if !goldenTable(t, goldenProfiles["default"]).acceptsTCP(anySource, 14267) {
		t.Error("default: public API port closed")
	}
	if goldenTable(t, goldenProfiles["iri-node"]).acceptsTCP(anySource, 14267) {
		t.Error("iri-node: public API port open")
	}
}

// Model → expressions → model gives the same rules, and the text form
// parses back to the same model.
func TestCompileDecompileRoundTrip(t *testing.T) {
	for name, tbl := range goldenTables(t) {
		for _, c := range tbl.Chains {
			for _, r := range c.Rules {
				exprs, err := compileRule(r, nil)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if back := decompileRule(exprs, setsOf(tbl, r)); !reflect.DeepEqual(back, r) {
					t.Errorf("%s chain %s:\n got %s\nwant %s", name, c.Name, back, r)
				}
			}
		}
		parsed, err := ParseTable(renderFile(tbl))
		if err != nil {
			t.Fatalf("%s: parse: %v", name, err)
		}
		if !reflect.DeepEqual(parsed, tbl) {
			t.Errorf("%s: parsed table differs:\n%s", name, parsed)
		}
	}
}

func TestDecompileUnmodelled(t *testing.T) {
	// `counter meta l4proto tcp meta mark 1 masquerade`-like: matches
	// harden knows, then one it does not; and a counter carrying values
	// (which do not matter).
	exprs := []expr.Any{
		&expr.Counter{Packets: 12, Bytes: 3400},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoTCP}},
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: native32(1)},
		&expr.Masq{},
	}
	r := decompileRule(exprs, nil)
	if len(r.Stmts) != 3 || r.Stmts[0] != (Counter{}) || r.Stmts[1] != (L4Proto{Proto: protoTCP}) {
		t.Fatalf("got %#v", r)
	}
	if _, ok := r.Stmts[2].(Unknown); !ok || r.String() != "counter meta l4proto tcp <not understood by harden: meta cmp masq>" {
		t.Fatalf("got %q", r)
	}
	tbl := &Table{Family: "inet", Name: "x", Chains: []Chain{{Name: "c", Rules: []Rule{r, rule(accept)}}}}
	if !tbl.HasUnknown() {
		t.Error("HasUnknown is false")
	}
	if kept := withoutUnknown(tbl); len(kept.Chains[0].Rules) != 1 || kept.HasUnknown() {
		t.Errorf("withoutUnknown kept %v", kept.Chains[0].Rules)
	}
	if _, err := compileRule(r, nil); err == nil {
		t.Error("an unknown statement compiled")
	}
	// A port match whose comparison is not equality is not a port match.
	neq := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoTCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 22}},
	}
	if got := decompileRule(neq, nil).String(); got != "meta l4proto tcp <not understood by harden: payload cmp>" {
		t.Errorf("tcp dport != 22 read as %q", got)
	}
}

func TestParseRejectsUnmodelled(t *testing.T) {
	for _, line := range []string{
		"tcp dport { 22-80 } accept", "tcp dport { } accept", "ip saddr 10.0.0.0/8 jump x", `iifname eth0 accept`, "meta mark 1 accept", "ct status dnat,nat accept",
		"limit rate 5/fortnight accept", "update @s { ip daddr limit rate 1/second }",
	} {
		if r, err := ParseRule(line); err == nil {
			t.Errorf("ParseRule(%q) = %q, want an error", line, r)
		}
	}
}

// anySource is an address no profile names: what the table does for the
// world at large.
var anySource = netip.MustParseAddr("192.0.2.200")

// setsOf is what readTable would learn about t's sets, for decompiling
// rule r compiled without a batch (its anonymous set has no name).
func setsOf(t *Table, r Rule) readSets {
	out := readSets{}
	for _, s := range t.Sets {
		out[s.Name] = readSet{}
	}
	for _, st := range r.Stmts {
		if ps, ok := st.(DportSet); ok {
			out[""] = readSet{anonymous: true, ports: ps.Ports}
		}
	}
	return out
}
