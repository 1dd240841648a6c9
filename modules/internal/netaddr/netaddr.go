// Package netaddr parses the addresses a profile gives for one line of a
// config file (HAProxy's server line, IRI's API_HOST): an IP address or a
// DNS host name, with a port where one is needed. Anything else, such as
// a value carrying a second directive, is refused.
package netaddr

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// label is one RFC 1123 host name label.
const label = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`

var hostName = regexp.MustCompile(`^` + label + `(?:\.` + label + `)*$`)

// Host checks an IP address or a host name ("127.0.0.1", "::1",
// "node.example"). A dotted name of digits alone must be an IPv4 address.
func Host(s string) error {
	if _, err := IP(s); err == nil {
		return nil
	}
	if len(s) > 253 || !hostName.MatchString(s) {
		return fmt.Errorf("is neither an IP address nor a host name")
	}
	if strings.Trim(s, "0123456789.") == "" {
		return fmt.Errorf("is not an IPv4 address")
	}
	return nil
}

// HostPort checks host:port, an IPv6 host in brackets ("[::1]:14265").
func HostPort(s string) error {
	host, port, ok := cutPort(s)
	if !ok {
		return fmt.Errorf("is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("has no port from 1 to 65535")
	}
	if strings.HasPrefix(host, "[") {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if err != nil || !strings.HasSuffix(host, "]") || !a.Is6() || a.Zone() != "" {
			return fmt.Errorf("has no IPv6 address inside its brackets")
		}
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		return fmt.Errorf("needs its IPv6 address in brackets, such as [::1]:14265")
	}
	return Host(host)
}

// cutPort splits at the last colon.
func cutPort(s string) (host, port string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// ErrZone: an IPv6 zone ("%eth0") is free text that net/netip keeps as it
// is, newlines included; no address harden writes needs one.
var ErrZone = errors.New("an address with a zone, %name, is not supported")

// IP parses an IP address without a zone.
func IP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, ErrZone
	}
	return a, nil
}

// IPOrPrefix checks an IP address or a CIDR prefix, without a zone.
func IPOrPrefix(s string) error {
	if _, err := netip.ParsePrefix(s); err == nil {
		return nil
	}
	_, err := IP(s)
	return err
}
