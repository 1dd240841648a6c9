package firewall

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// The rule model: what harden's table holds, as Go values with one text form
// (nft syntax, as `nft list table` prints it). The same model compiles to
// netlink expressions (compile.go), is read back from the kernel
// (decompile.go), is parsed from the persisted file (parse.go) and renders
// that file, so plan, apply and the file can never disagree.

// Table is one nftables table and everything in it.
type Table struct {
	Family string // "inet"
	Name   string
	Sets   []Set
	Chains []Chain
}

// Set is a named set of addresses: a meter harden's rules add source
// addresses to (Dynamic), or a fixed list rules look up (deny_sources,
// ssh_allow_sources), whose Elements are part of the model.
type Set struct {
	Name     string
	Type     string // "ipv4_addr" or "ipv6_addr"
	Size     uint32
	Dynamic  bool
	Interval bool          // elements are prefixes, not single addresses
	Timeout  time.Duration // 0: elements stay until removed
	// Elements of a fixed set: sorted, disjoint (mergePrefixes). Dynamic
	// sets change with traffic: their elements are never read.
	Elements []netip.Prefix
}

// Chain is a chain; Hook is empty for a regular (jump target) chain.
type Chain struct {
	Name     string
	Type     string // "filter"
	Hook     string // "input", "forward", "output"
	Priority int32
	Policy   string // "accept" or "drop"
	Rules    []Rule
}

// Rule is a sequence of statements, as nft prints them left to right.
type Rule struct {
	Stmts []Stmt
}

// Stmt is one statement of a rule (a match, a meter, a verdict). Its
// String is nft syntax; compile (compile.go) gives its expressions.
type Stmt interface {
	String() string
}

// Iface matches the input (iif) or output (oif) interface. Only the loopback
// interface is modelled: its index is 1 in every network namespace.
type Iface struct {
	Out  bool
	Neg  bool
	Name string
}

// Saddr matches the source address against a prefix (ip or ip6 by family).
type Saddr struct {
	Prefix netip.Prefix
}

// CtState matches any of the conntrack states in Mask.
type CtState struct {
	Mask uint32
}

// ICMPType matches an ICMP (V6 false) or ICMPv6 type.
type ICMPType struct {
	V6   bool
	Type uint8
}

// Dport matches a TCP or UDP destination port.
type Dport struct {
	Proto uint8 // protoTCP or protoUDP
	Port  uint16
}

// SportDport matches a TCP or UDP source and destination port together
// (nft merges the two into one load): DHCPv6 replies, 547 to 546.
type SportDport struct {
	Proto        uint8
	Sport, Dport uint16
}

// Limit is a token-bucket rate limit in packets. Over inverts it: the
// statement matches while the rate is exceeded.
type Limit struct {
	Rate  uint64
	Unit  time.Duration // time.Second, time.Minute, time.Hour, 24h
	Burst uint32
	Over  bool
}

// CtCount matches when the number of tracked connections exceeds Count
// (with Over): those of the set element inside a SetUpdate, or, on its
// own, those that passed the statement.
type CtCount struct {
	Count uint32
	Over  bool
}

// SetUpdate adds (or updates) the packet's source address in a set, with a
// per-element stateful statement (a Limit or a CtCount): nft's meter.
type SetUpdate struct {
	Update bool // "update" refreshes the element's timeout, "add" does not
	Set    string
	V6     bool
	// Key is the prefix length the source address is cut to (64: one
	// element per IPv6 /64); 0 keys by the whole address.
	Key      int
	Stateful Stmt
}

// Counter counts packets and bytes; values are not part of the model.
type Counter struct{}

// Verdict ends the rule: "accept" or "drop".
type Verdict struct {
	Kind string
}

// Unknown stands for kernel expressions harden does not model (someone
// edited harden's table by hand). It never equals a desired rule, so the
// plan replaces it; it cannot be compiled.
type Unknown struct {
	Exprs string
}

const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// Conntrack state bits, as the kernel numbers them, in nft's print order.
var ctStates = []bitName{
	{"invalid", 1}, {"established", 2}, {"related", 4}, {"new", 8}, {"untracked", 64},
}

var icmpTypes = map[uint8]string{
	0: "echo-reply", 3: "destination-unreachable", 8: "echo-request", 11: "time-exceeded",
	12: "parameter-problem",
}

var icmpv6Types = map[uint8]string{
	1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
	128: "echo-request", 129: "echo-reply", 130: "mld-listener-query", 133: "nd-router-solicit",
	134: "nd-router-advert", 135: "nd-neighbor-solicit", 136: "nd-neighbor-advert",
	143: "mld2-listener-report",
}

var limitUnits = []struct {
	name string
	d    time.Duration
}{
	{"second", time.Second}, {"minute", time.Minute}, {"hour", time.Hour}, {"day", 24 * time.Hour},
}

func (s Iface) String() string {
	kw := "iif"
	if s.Out {
		kw = "oif"
	}
	if s.Neg {
		return fmt.Sprintf("%s != %q", kw, s.Name)
	}
	return fmt.Sprintf("%s %q", kw, s.Name)
}

func (s Saddr) String() string {
	kw := "ip"
	if s.Prefix.Addr().Is6() {
		kw = "ip6"
	}
	return fmt.Sprintf("%s saddr %s", kw, formatPrefix(s.Prefix))
}

func (s CtState) String() string { return "ct state " + formatBits(ctStates, s.Mask) }

func (s ICMPType) String() string {
	kw, names := "icmp", icmpTypes
	if s.V6 {
		kw, names = "icmpv6", icmpv6Types
	}
	if n, ok := names[s.Type]; ok {
		return fmt.Sprintf("%s type %s", kw, n)
	}
	return fmt.Sprintf("%s type %d", kw, s.Type)
}

func (s Dport) String() string {
	return fmt.Sprintf("%s dport %d", protoName(s.Proto), s.Port)
}

func (s SportDport) String() string {
	return fmt.Sprintf("%s sport %d %s dport %d", protoName(s.Proto), s.Sport, protoName(s.Proto), s.Dport)
}

func protoName(p uint8) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	}
	return fmt.Sprint(p)
}

func (s Limit) String() string {
	unit := s.Unit.String()
	for _, u := range limitUnits {
		if u.d == s.Unit {
			unit = u.name
		}
	}
	var b strings.Builder
	b.WriteString("limit rate ")
	if s.Over {
		b.WriteString("over ")
	}
	fmt.Fprintf(&b, "%d/%s", s.Rate, unit)
	// nft leaves the kernel's default burst (5 packets) unprinted.
	if s.Burst != 5 && s.Burst != 0 {
		fmt.Fprintf(&b, " burst %d packets", s.Burst)
	}
	return b.String()
}

func (s CtCount) String() string {
	if s.Over {
		return fmt.Sprintf("ct count over %d", s.Count)
	}
	return fmt.Sprintf("ct count %d", s.Count)
}

func (s SetUpdate) String() string {
	op := "add"
	if s.Update {
		op = "update"
	}
	return fmt.Sprintf("%s @%s { %s %s }", op, s.Set, saddrKey(s.V6, s.Key), s.Stateful)
}

// saddrKey is the source address as a set key: "ip saddr", or cut to a
// prefix, "ip6 saddr & ffff:ffff:ffff:ffff::".
func saddrKey(v6 bool, key int) string {
	if !v6 {
		return "ip saddr" + keyMask(false, key)
	}
	return "ip6 saddr" + keyMask(true, key)
}

func keyMask(v6 bool, key int) string {
	bits := 32
	if v6 {
		bits = 128
	}
	if key == 0 || key == bits {
		return ""
	}
	mask, _ := netip.AddrFromSlice(net.CIDRMask(key, bits))
	return " & " + mask.String()
}

func (Counter) String() string   { return "counter" }
func (s Verdict) String() string { return s.Kind }
func (s Unknown) String() string { return "<not understood by harden: " + s.Exprs + ">" }

// String is the rule on one line.
func (r Rule) String() string { return r.text("") }

// text is the rule as the table's text holds it at indent: long port sets
// wrapped (indent "" keeps everything on one line).
func (r Rule) text(indent string) string {
	parts := make([]string, len(r.Stmts))
	for i, s := range r.Stmts {
		parts[i] = s.String()
		if ps, ok := s.(DportSet); ok && indent != "" && len(ps.Ports) > wrapAbove {
			parts[i] = ps.wrapped(indent)
		}
	}
	return strings.Join(parts, " ")
}

// ID is "family name", as nft and the change address spell a table.
func (t *Table) ID() string { return t.Family + " " + t.Name }

// String renders the table as `nft list table` does (counters left out),
// which is also valid input for `nft -f`.
func (t *Table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s {\n", t.ID())
	first := true
	sep := func() {
		if !first {
			b.WriteString("\n")
		}
		first = false
	}
	for _, s := range t.Sets {
		sep()
		fmt.Fprintf(&b, "\tset %s {\n\t\ttype %s\n", s.Name, s.Type)
		if s.Size != 0 {
			fmt.Fprintf(&b, "\t\tsize %d\n", s.Size)
		}
		var flags []string
		if s.Dynamic {
			flags = append(flags, "dynamic")
		}
		if s.Interval {
			flags = append(flags, "interval")
		}
		if s.Timeout != 0 {
			flags = append(flags, "timeout")
		}
		if len(flags) > 0 {
			fmt.Fprintf(&b, "\t\tflags %s\n", strings.Join(flags, ","))
		}
		if s.Timeout != 0 {
			fmt.Fprintf(&b, "\t\ttimeout %s\n", formatTimeout(s.Timeout))
		}
		// One element a line, sorted: a changed list reads as a short diff.
		if len(s.Elements) > 0 {
			b.WriteString("\t\telements = {\n")
			for _, e := range s.Elements {
				fmt.Fprintf(&b, "\t\t\t%s,\n", formatPrefix(e))
			}
			b.WriteString("\t\t}\n")
		}
		b.WriteString("\t}\n")
	}
	for _, c := range t.Chains {
		sep()
		fmt.Fprintf(&b, "\tchain %s {\n", c.Name)
		if c.Hook != "" {
			fmt.Fprintf(&b, "\t\ttype %s hook %s priority %s; policy %s;\n",
				c.Type, c.Hook, formatPriority(c.Hook, c.Priority), c.Policy)
		}
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "\t\t%s\n", r.text("\t\t"))
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Equal compares two tables through their canonical text: the text form
// holds every modelled field, and readback has already dropped counter
// values, handles and set ids.
func (t *Table) Equal(o *Table) bool {
	if t == nil || o == nil {
		return t == o
	}
	return t.String() == o.String()
}

// Chain returns the named chain, or nil.
func (t *Table) Chain(name string) *Chain {
	for i := range t.Chains {
		if t.Chains[i].Name == name {
			return &t.Chains[i]
		}
	}
	return nil
}

// formatTimeout prints a duration the way nft does for whole units.
func formatTimeout(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}
