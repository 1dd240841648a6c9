package lockout

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// sshd's pattern matching (match.c, addrmatch.c), for from="..." and the
// USER@HOST form of AllowUsers/DenyUsers. sshd matches a host pattern
// against the client's address and its canonical host name; with UseDNS
// no (the default) that name is the address itself, which is what the
// guard assumes: a pattern naming a host by name does not match.

// hostAdmits reports whether sshd admits the client under a comma-separated
// pattern list (match_host_and_ip): a negated match refuses, a CIDR or a
// wildcard match admits. The list must have passed checkPatternList.
func hostAdmits(patterns string, client netip.Addr) bool {
	client = client.Unmap().WithZone("")
	ip := client.String()
	admits := false
	for _, entry := range strings.Split(patterns, ",") {
		pattern, negated := strings.CutPrefix(entry, "!")
		hit := WildcardMatch(pattern, ip) || WildcardMatch(strings.ToLower(pattern), ip)
		if prefix, ok, _ := parseCIDR(pattern); ok {
			hit = hit || prefix.Contains(client)
		}
		if hit && negated {
			return false
		}
		admits = admits || hit
	}
	return admits
}

// checkPatternList finds what makes sshd reject a pattern list outright:
// an empty entry, or an address whose mask is too long or leaves host
// bits set (10.0.0.1/8).
func checkPatternList(patterns string) error {
	for _, entry := range strings.Split(patterns, ",") {
		pattern, _ := strings.CutPrefix(entry, "!")
		if pattern == "" {
			return fmt.Errorf("empty entry in %q", patterns)
		}
		if _, _, err := parseCIDR(pattern); err != nil {
			return err
		}
	}
	return nil
}

// parseCIDR reads an address or address/masklen (addr_pton_cidr). ok is
// false for what is no address (a wildcard, a host name): sshd then
// matches it as a pattern. err is set for an address sshd rejects.
func parseCIDR(s string) (prefix netip.Prefix, ok bool, err error) {
	addrText, maskText, hasMask := strings.Cut(s, "/")
	addr, perr := netip.ParseAddr(addrText)
	if perr != nil {
		return netip.Prefix{}, false, nil
	}
	addr = addr.WithZone("")
	bits := addr.BitLen()
	if hasMask {
		if bits, perr = strconv.Atoi(maskText); perr != nil || bits < 0 {
			return netip.Prefix{}, false, nil
		}
	}
	if bits > addr.BitLen() {
		return netip.Prefix{}, false, fmt.Errorf("%s: mask longer than the address", s)
	}
	prefix = netip.PrefixFrom(addr, bits)
	if prefix.Masked().Addr() != addr {
		return netip.Prefix{}, false, fmt.Errorf("%s: address bits set beyond the mask", s)
	}
	return prefix, true, nil
}

// matchUser is sshd's match_user for AllowUsers/DenyUsers: USER or
// USER@HOST, each a wildcard pattern. With the client unknown the host
// part is taken to match: a DenyUsers entry then denies, an AllowUsers
// entry admits.
func MatchUser(name string, client netip.Addr, pattern string) bool {
	i := strings.LastIndexByte(pattern, '@')
	if i < 0 {
		return WildcardMatch(pattern, name)
	}
	if !WildcardMatch(pattern[:i], name) {
		return false
	}
	host := pattern[i+1:]
	return !client.IsValid() || (checkPatternList(host) == nil && hostAdmits(host, client))
}

// matchAny: one of the names matches one of the wildcard patterns.
func matchAny(patterns, names []string) bool {
	for _, p := range patterns {
		for _, n := range names {
			if WildcardMatch(p, n) {
				return true
			}
		}
	}
	return false
}

// WildcardMatch is sshd's match_pattern: '*' any run, '?' one character.
// It backtracks only to the last star, so it stays linear in practice.
func WildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p, i = p+1, i+1
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
