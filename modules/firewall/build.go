package firewall

import (
	"net/netip"
	"time"
)

// build.go is the planner's core: the desired table for a config. Pure.

const meterSize = 65535

// Set names of the per-source meters.
const (
	setSSHRate = "ssh_rate"
	setSSHConn = "ssh_conn"
	setAPIConn = "api_conn"
)

var (
	accept = Verdict{Kind: "accept"}
	drop   = Verdict{Kind: "drop"}
	// Neighbour discovery must pass before the invalid-state drop and
	// without a rate limit: IPv6 stops working without it.
	ndTypes = []uint8{133, 134, 135, 136}
	// echoLimit keeps ping useful for monitoring without making the host
	// an amplifier.
	echoLimit = Limit{Rate: 5, Unit: time.Second, Burst: 10}
)

func rule(stmts ...Stmt) Rule { return Rule{Stmts: stmts} }

// Build returns the table the config asks for.
func Build(cfg Config) *Table {
	t := &Table{Family: cfg.Family, Name: cfg.Name}
	in := Chain{Name: "input", Type: "filter", Hook: "input", Policy: "drop"}
	in.Rules = append(in.Rules,
		rule(Iface{Name: "lo"}, accept),
		rule(Iface{Name: "lo", Neg: true}, Saddr{Prefix: netip.MustParsePrefix("127.0.0.0/8")}, drop),
		rule(Iface{Name: "lo", Neg: true}, Saddr{Prefix: netip.MustParsePrefix("::1/128")}, drop),
		rule(CtState{Mask: 2 | 4}, accept), // established,related
	)
	for _, nd := range ndTypes {
		in.Rules = append(in.Rules, rule(ICMPType{V6: true, Type: nd}, accept))
	}
	in.Rules = append(in.Rules,
		rule(CtState{Mask: 1}, drop), // invalid
		rule(ICMPType{Type: 8}, echoLimit, accept),
		rule(ICMPType{V6: true, Type: 128}, echoLimit, accept),
	)

	if len(cfg.SSHPorts) > 0 && cfg.SSHRate != nil {
		timeout := cfg.SSHRate.Unit
		if timeout < time.Minute {
			timeout = time.Minute
		}
		t.Sets = append(t.Sets, meterSets(setSSHRate, timeout)...)
	}
	if len(cfg.SSHPorts) > 0 && cfg.SSHMaxConnections > 0 {
		t.Sets = append(t.Sets, meterSets(setSSHConn, 0)...)
	}
	if cfg.PublicAPIPort > 0 && cfg.PublicAPIMaxConnections > 0 {
		t.Sets = append(t.Sets, meterSets(setAPIConn, 0)...)
	}

	for _, p := range cfg.SSHPorts {
		port := Dport{Proto: protoTCP, Port: uint16(p)}
		if cfg.SSHRate != nil {
			for _, v6 := range []bool{false, true} {
				in.Rules = append(in.Rules, rule(port, CtState{Mask: 8}, // new
					SetUpdate{Update: true, Set: setName(setSSHRate, v6), V6: v6, Stateful: *cfg.SSHRate},
					Counter{}, drop))
			}
		}
		in.Rules = append(in.Rules, connCap(port, setSSHConn, cfg.SSHMaxConnections)...)
		in.Rules = append(in.Rules, rule(port, accept))
	}
	if cfg.GossipTCPPort > 0 {
		in.Rules = append(in.Rules, rule(Dport{Proto: protoTCP, Port: uint16(cfg.GossipTCPPort)}, accept))
	}
	if cfg.GossipUDPPort > 0 {
		in.Rules = append(in.Rules, rule(Dport{Proto: protoUDP, Port: uint16(cfg.GossipUDPPort)}, accept))
	}
	if cfg.PublicAPIPort > 0 {
		port := Dport{Proto: protoTCP, Port: uint16(cfg.PublicAPIPort)}
		in.Rules = append(in.Rules, connCap(port, setAPIConn, cfg.PublicAPIMaxConnections)...)
		in.Rules = append(in.Rules, rule(port, accept))
	}
	for _, p := range cfg.AllowTCPPorts {
		in.Rules = append(in.Rules, rule(Dport{Proto: protoTCP, Port: uint16(p)}, accept))
	}
	for _, p := range cfg.AllowUDPPorts {
		in.Rules = append(in.Rules, rule(Dport{Proto: protoUDP, Port: uint16(p)}, accept))
	}

	fwd := Chain{Name: "forward", Type: "filter", Hook: "forward", Policy: "drop"}
	out := Chain{Name: "output", Type: "filter", Hook: "output", Policy: "accept"}
	if cfg.OutputDrop {
		out.Policy = "drop"
		out.Rules = outputAllowances(cfg)
	}
	t.Chains = []Chain{in, fwd, out}
	return t
}

func setName(base string, v6 bool) string {
	if v6 {
		return base + "_v6"
	}
	return base + "_v4"
}

// meterSets are the IPv4 and IPv6 sets of one per-source meter.
func meterSets(base string, timeout time.Duration) []Set {
	return []Set{
		{Name: setName(base, false), Type: "ipv4_addr", Size: meterSize, Dynamic: true, Timeout: timeout},
		{Name: setName(base, true), Type: "ipv6_addr", Size: meterSize, Dynamic: true, Timeout: timeout},
	}
}

// connCap drops a new connection from a source that already holds max.
func connCap(port Dport, base string, max int) []Rule {
	if max <= 0 {
		return nil
	}
	var out []Rule
	for _, v6 := range []bool{false, true} {
		out = append(out, rule(port,
			SetUpdate{Set: setName(base, v6), V6: v6, Stateful: CtCount{Count: uint32(max), Over: true}},
			Counter{}, drop))
	}
	return out
}

// outputAllowances is the CIS-style output chain under policy drop: what a
// node needs to resolve names, keep time, fetch packages and gossip.
func outputAllowances(cfg Config) []Rule {
	rules := []Rule{
		rule(Iface{Out: true, Name: "lo"}, accept),
		rule(CtState{Mask: 2 | 4}, accept),
	}
	for _, nd := range append(ndTypes, 143) { // and MLDv2 reports
		rules = append(rules, rule(ICMPType{V6: true, Type: nd}, accept))
	}
	rules = append(rules,
		rule(CtState{Mask: 1}, drop),
		rule(ICMPType{Type: 8}, accept),
		rule(ICMPType{V6: true, Type: 128}, accept),
	)
	allow := []Dport{
		{protoUDP, 53}, {protoTCP, 53}, // DNS
		{protoUDP, 123},                 // NTP
		{protoUDP, 67}, {protoUDP, 547}, // DHCP renewals (v4, v6)
		{protoTCP, 80}, {protoTCP, 443}, // apt
	}
	if cfg.GossipTCPPort > 0 {
		allow = append(allow, Dport{protoTCP, uint16(cfg.GossipTCPPort)})
	}
	if cfg.GossipUDPPort > 0 {
		allow = append(allow, Dport{protoUDP, uint16(cfg.GossipUDPPort)})
	}
	for _, d := range allow {
		rules = append(rules, rule(d, accept))
	}
	return rules
}

// acceptsTCP reports whether the input chain accepts a new TCP connection to
// port from an address that has not been rate limited: a plain
// `tcp dport P [meters] accept` rule for it.
func (t *Table) acceptsTCP(port int) bool {
	in := t.Chain("input")
	if in == nil {
		return false
	}
	if in.Policy == "accept" {
		return true
	}
	for _, r := range in.Rules {
		if len(r.Stmts) == 2 && r.Stmts[0] == (Dport{Proto: protoTCP, Port: uint16(port)}) && r.Stmts[1] == accept {
			return true
		}
	}
	return false
}
