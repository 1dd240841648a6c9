package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// parse_sets.go: the parts of the text form that hold lists (a set's
// elements, a port set) and may span lines.

func isBlockHeader(l string) bool {
	f := strings.Fields(l)
	switch {
	case len(f) == 4 && f[0] == "table" && f[3] == "{":
		return true
	case len(f) == 3 && (f[0] == "set" || f[0] == "chain") && f[2] == "{":
		return true
	}
	return false
}

// braceList returns the items of "{ a, b, c }" (commas and blanks
// separate; a trailing comma is allowed, as in nft).
func braceList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("expected { ... }, got %q", s)
	}
	return strings.FieldsFunc(s[1:len(s)-1], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }), nil
}

// parseElements reads "= { 192.0.2.1, 198.51.100.0/24, ... }" (also nft's
// ranges "a-b") into sorted prefixes.
func parseElements(v string) ([]netip.Prefix, error) {
	rest, ok := strings.CutPrefix(v, "= ")
	if !ok {
		return nil, fmt.Errorf("expected elements = { ... }")
	}
	items, err := braceList(rest)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, it := range items {
		if first, last, ok := strings.Cut(it, "-"); ok {
			a, err1 := netip.ParseAddr(first)
			b, err2 := netip.ParseAddr(last)
			if err1 != nil || err2 != nil || a.BitLen() != b.BitLen() || b.Less(a) {
				return nil, fmt.Errorf("bad element %q", it)
			}
			out = append(out, rangePrefixes(a, b)...)
			continue
		}
		p, err := parsePrefix(it)
		if err != nil {
			return nil, fmt.Errorf("bad element %q", it)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	return out, nil
}

// parsePrefix reads an address (a single-address prefix) or a prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// portSet parses "{ 80, 443 }" after "dport".
func (p *ruleParser) portSet(proto uint8) (Stmt, error) {
	var toks []string
	for {
		t := p.take()
		toks = append(toks, t)
		if t == "}" || p.done() {
			break
		}
	}
	items, err := braceList(strings.Join(toks, " "))
	if err != nil {
		return nil, err
	}
	s := DportSet{Proto: proto}
	for _, it := range items {
		n, err := strconv.ParseUint(it, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("port set element %q not modelled", it)
		}
		s.Ports = append(s.Ports, uint16(n))
	}
	if len(s.Ports) == 0 {
		return nil, fmt.Errorf("empty port set")
	}
	slices.Sort(s.Ports)
	s.Ports = slices.Compact(s.Ports)
	return s, nil
}
