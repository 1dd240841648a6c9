package firewall

import (
	"net/netip"
	"slices"
	"time"
)

// build.go is the planner's core: the desired table for a config. Pure.

const meterSize = 65535

// Set names (the _v4/_v6 sets of each): the per-source meters, and the
// address lists of the profile.
const (
	setSSHRate  = "ssh_rate"
	setSSHConn  = "ssh_conn"
	setAPIConn  = "api_conn"
	setDeny     = "deny"
	setSSHAllow = "ssh_allow"
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
	// dhcpv6Reply: from a link-local server port 547 to the client's 546.
	dhcpv6Reply = []Stmt{Saddr{Prefix: netip.MustParsePrefix("fe80::/10")},
		SportDport{Proto: protoUDP, Sport: 547, Dport: 546}, accept}
)

func rule(stmts ...Stmt) Rule { return Rule{Stmts: stmts} }

// Build returns the table the config asks for.
func Build(cfg Config) *Table {
	t := &Table{Family: cfg.Family, Name: cfg.Name}
	in := Chain{Name: "input", Type: "filter", Hook: "input", Policy: "drop"}
	in.Rules = append(in.Rules, rule(Iface{Name: "lo"}, accept))
	// Denied sources go before everything but loopback, established
	// connections included.
	var denied []Rule
	for _, s := range addressSets(setDeny, cfg.DenySources) {
		t.Sets = append(t.Sets, s)
		denied = append(denied, rule(SaddrIn{V6: s.Type == "ipv6_addr", Set: s.Name}, Counter{}, drop))
	}
	in.Rules = append(in.Rules, denied...)
	sshAllow := addressSets(setSSHAllow, cfg.SSHAllowSources)
	t.Sets = append(t.Sets, sshAllow...)
	in.Rules = append(in.Rules,
		rule(Iface{Name: "lo", Neg: true}, Saddr{Prefix: netip.MustParsePrefix("127.0.0.0/8")}, drop),
		rule(Iface{Name: "lo", Neg: true}, Saddr{Prefix: netip.MustParsePrefix("::1/128")}, drop),
		rule(CtState{Mask: 2 | 4}, accept), // established,related
	)
	for _, nd := range ndTypes {
		in.Rules = append(in.Rules, rule(ICMPType{V6: true, Type: nd}, accept))
	}
	in.Rules = append(in.Rules,
		// Multicast listener queries: a switch that snoops MLD stops
		// sending neighbour solicitations to a host that never answers.
		rule(ICMPType{V6: true, Type: 130}, accept),
		// DHCPv6 replies, as ufw and firewalld accept them: the request
		// went to a multicast address, so the reply is no established
		// connection, and a host that misses it loses its address.
		rule(dhcpv6Reply...),
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
			in.Rules = append(in.Rules, perClient([]Stmt{port, CtState{Mask: 8}}, setSSHRate, true, *cfg.SSHRate)...)
		}
		in.Rules = append(in.Rules, connCap(port, setSSHConn, cfg.SSHMaxConnections)...)
		if len(sshAllow) == 0 {
			in.Rules = append(in.Rules, rule(port, accept))
		}
		// Only from the listed sources: a family without any gets no rule
		// and falls to the policy.
		for _, s := range sshAllow {
			in.Rules = append(in.Rules, rule(port, SaddrIn{V6: s.Type == "ipv6_addr", Set: s.Name}, accept))
		}
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
	if len(cfg.AllowTCPPorts) > 0 {
		in.Rules = append(in.Rules, rule(portMatch(protoTCP, cfg.AllowTCPPorts), accept))
	}
	if len(cfg.AllowUDPPorts) > 0 {
		in.Rules = append(in.Rules, rule(portMatch(protoUDP, cfg.AllowUDPPorts), accept))
	}

	fwd := Chain{Name: "forward", Type: "filter", Hook: "forward", Policy: "drop"}
	out := Chain{Name: "output", Type: "filter", Hook: "output", Policy: "accept"}
	if cfg.OutputDrop {
		out.Policy = "drop"
		out.Rules = outputAllowances(cfg)
	}
	t.Chains = []Chain{in, fwd, out}
	if len(cfg.ForwardFrom) > 0 {
		t.Chains[1].Rules = containerForward(cfg, denied)
		t.Chains = append([]Chain{containerPrerouting(cfg)}, t.Chains...)
	}
	return t
}

// portMatch is `tcp dport 22` for one port and `tcp dport { 80, 443 }`
// (an anonymous set: one rule however many ports) for more.
func portMatch(proto uint8, ports []int) Stmt {
	ps := make([]uint16, len(ports))
	for i, p := range ports {
		ps[i] = uint16(p)
	}
	slices.Sort(ps)
	ps = slices.Compact(ps)
	if len(ps) == 1 {
		return Dport{Proto: proto, Port: ps[0]}
	}
	return DportSet{Proto: proto, Ports: ps}
}

// addressSets are the named interval sets holding prefixes (sorted and
// merged): one per family that has any.
func addressSets(base string, prefixes []netip.Prefix) []Set {
	v4, v6 := splitFamilies(prefixes)
	var out []Set
	if len(v4) > 0 {
		out = append(out, Set{Name: setName(base, false), Type: "ipv4_addr", Interval: true, Elements: v4})
	}
	if len(v6) > 0 {
		out = append(out, Set{Name: setName(base, true), Type: "ipv6_addr", Interval: true, Elements: v6})
	}
	return out
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

// connCap drops a new connection from a client that already holds max.
func connCap(port Dport, base string, max int) []Rule {
	if max <= 0 {
		return nil
	}
	return perClient([]Stmt{port}, base, false, CtCount{Count: uint32(max), Over: true})
}

// clientKeyV6 is the prefix that makes one IPv6 client: a subscriber gets
// a /64 (or more), and its hosts and privacy addresses change within it.
const clientKeyV6 = 64

// perClient drops a packet matching match whose client is over its limit
// (over: a Limit or a CtCount that matches when exceeded), counted in the
// meter base_v4/base_v6 (an IPv4 client is one address, an IPv6 one a
// /64). A full meter holds no new client: the rule after each meter drops
// a client it lacks once such clients together exceed the same limit, so
// filling the meter does not open the port.
func perClient(match []Stmt, base string, update bool, over Stmt) []Rule {
	var out []Rule
	for _, v6 := range []bool{false, true} {
		key := 0
		if v6 {
			key = clientKeyV6
		}
		set := setName(base, v6)
		meter := SetUpdate{Update: update, Set: set, V6: v6, Key: key, Stateful: over}
		left := SaddrIn{V6: v6, Set: set, Neg: true, Key: key}
		out = append(out,
			rule(append(slices.Clone(match), meter, Counter{}, drop)...),
			rule(append(slices.Clone(match), left, over, Counter{}, drop)...))
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

// acceptsTCP reports whether the input chain accepts a new TCP connection
// from src to port, following the rules in order as the kernel would for
// a source that no meter has caught (rate and connection limits are taken
// as not exceeded). An invalid src matches no address rule.
func (t *Table) acceptsTCP(src netip.Addr, port int) bool {
	in := t.Chain("input")
	if in == nil {
		return false
	}
	for _, r := range in.Rules {
		if v, ok := t.verdictFor(r, src, uint16(port)); ok {
			return v == accept
		}
	}
	return in.Policy == "accept"
}

// verdictFor is the rule's verdict for a new TCP packet from src to port
// arriving on an interface other than loopback, when every match holds.
func (t *Table) verdictFor(r Rule, src netip.Addr, port uint16) (Verdict, bool) {
	for _, s := range r.Stmts {
		match := false
		switch s := s.(type) {
		case Iface:
			match = !s.Out && s.Neg
		case Saddr:
			match = s.Prefix.Contains(src)
		case SaddrIn:
			// A set holds one family, so a packet of the other never
			// matches. A meter holds the source it has just counted.
			for _, set := range t.Sets {
				if set.Name == s.Set && src.Is6() == s.V6 {
					_, in := containing(set.Elements, src)
					match = (in || set.Dynamic) != s.Neg
				}
			}
		case CtState:
			match = s.Mask&8 != 0 // new
		case Dport:
			match = s.Proto == protoTCP && s.Port == port
		case SportDport:
			match = false // no SSH client connects from a fixed port
		case DportSet:
			_, match = slices.BinarySearch(s.Ports, port)
			match = match && s.Proto == protoTCP
		case Limit:
			match = !s.Over
		case SetUpdate:
			l, isLimit := s.Stateful.(Limit)
			match = isLimit && !l.Over
		case CtCount:
			match = !s.Over
		case Counter:
			match = true
		case Verdict:
			return s, true
		}
		if !match {
			return Verdict{}, false
		}
	}
	return Verdict{}, false
}
