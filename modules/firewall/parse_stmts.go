package firewall

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// parse_stmts.go: the parts of a rule line that follow a keyword.

// sportDport parses "sport N PROTO dport M" after "tcp" or "udp".
func (p *ruleParser) sportDport(kw string, proto uint8) (Stmt, error) {
	p.take()
	sport, err := p.number(16)
	if err != nil {
		return nil, err
	}
	for _, want := range []string{kw, "dport"} {
		if err := p.expect(want); err != nil {
			return nil, err
		}
	}
	dport, err := p.number(16)
	return SportDport{Proto: proto, Sport: uint16(sport), Dport: uint16(dport)}, err
}

// keyMask parses "& MASK" after "saddr" into the prefix length the mask
// keeps; 0 when there is none.
func (p *ruleParser) keyMask() (int, error) {
	if p.peek() != "&" {
		return 0, nil
	}
	p.take()
	t := p.take()
	mask, err := netip.ParseAddr(t)
	if err != nil {
		return 0, fmt.Errorf("bad mask %q", t)
	}
	ones, bits := net.IPMask(mask.AsSlice()).Size()
	if bits == 0 {
		return 0, fmt.Errorf("mask %q is no prefix", t)
	}
	return ones, nil
}

// ctCount parses "count [over] N" after "ct".
func (p *ruleParser) ctCount() (Stmt, error) {
	if err := p.expect("count"); err != nil {
		return nil, err
	}
	var c CtCount
	if p.peek() == "over" {
		p.take()
		c.Over = true
	}
	n, err := p.number(32)
	c.Count = uint32(n)
	return c, err
}

// limit parses what follows "limit".
func (p *ruleParser) limit() (Stmt, error) {
	if err := p.expect("rate"); err != nil {
		return nil, err
	}
	var l Limit
	if p.peek() == "over" {
		p.take()
		l.Over = true
	}
	rate, unit, ok := strings.Cut(p.take(), "/")
	n, err := strconv.ParseUint(rate, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("bad limit rate %q", rate+"/"+unit)
	}
	l.Rate, l.Burst = n, 5
	for _, u := range limitUnits {
		if u.name == unit {
			l.Unit = u.d
		}
	}
	if l.Unit == 0 {
		return nil, fmt.Errorf("limit unit %q not modelled", unit)
	}
	if p.peek() == "burst" {
		p.take()
		b, err := p.number(32)
		if err != nil {
			return nil, err
		}
		l.Burst = uint32(b)
		if err := p.expect("packets"); err != nil {
			return nil, err
		}
	}
	return l, nil
}
