package firewall

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// model_sets.go: the statements that match against sets, and how the
// text form prints them.

// SaddrIn matches the source address against a named set of the table
// (ip or ip6 by V6): `ip saddr @deny_v4`. Neg matches an address the set
// lacks; Key cuts the address to a prefix first, as a meter keyed by
// that prefix stores it (SetUpdate.Key).
type SaddrIn struct {
	V6  bool
	Set string
	Neg bool
	Key int
}

// DportSet matches a TCP or UDP destination port against an anonymous
// constant set: `tcp dport { 80, 443 }`. Ports are sorted and distinct.
type DportSet struct {
	Proto uint8
	Ports []uint16
}

func (s SaddrIn) String() string {
	op := ""
	if s.Neg {
		op = "!= "
	}
	return saddrKey(s.V6, s.Key) + " " + op + "@" + s.Set
}

func (s DportSet) String() string {
	ports := make([]string, len(s.Ports))
	for i, p := range s.Ports {
		ports[i] = strconv.Itoa(int(p))
	}
	return fmt.Sprintf("%s dport { %s }", protoName(s.Proto), strings.Join(ports, ", "))
}

// wrapAbove is the size above which the table's text lists a port set
// one port a line (a named set always lists one element a line): a change
// to a long set then reads as a short diff.
const wrapAbove = 8

// wrapped is the multi-line form of a long port set, indented for a rule
// at indent (nft accepts newlines inside braces).
func (s DportSet) wrapped(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s dport {\n", protoName(s.Proto))
	for _, p := range s.Ports {
		fmt.Fprintf(&b, "%s\t%d,\n", indent, p)
	}
	b.WriteString(indent + "}")
	return b.String()
}

// formatPrefix prints a single address without its /32 or /128, as nft does.
func formatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
