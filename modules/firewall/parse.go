package firewall

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// parse.go reads the model's own text form back (the persisted file, an
// undo record, `nft list table` output of a table harden made). It knows
// exactly the statements the model has; anything else is an error.

var chainHeader = regexp.MustCompile(`^type (\w+) hook (\w+) priority (.+?); policy (\w+);$`)

// ParseTable parses the first `table FAMILY NAME { ... }` block in text.
// Lines before it (comments, the file's `delete table` preamble) are skipped.
func ParseTable(text string) (*Table, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	lineNo := 0
	physical := func() (string, bool) {
		for sc.Scan() {
			lineNo++
			l := strings.TrimSpace(sc.Text())
			if l != "" && !strings.HasPrefix(l, "#") {
				return l, true
			}
		}
		return "", false
	}
	// next returns one logical line: a line that opens braces it does not
	// close (a set's elements, a long port set) goes on until they close.
	// Block headers (table, set, chain) open a block instead.
	next := func() (string, bool) {
		l, ok := physical()
		if !ok || isBlockHeader(l) {
			return l, ok
		}
		for strings.Count(l, "{") > strings.Count(l, "}") {
			more, ok := physical()
			if !ok {
				return l, true
			}
			l += " " + more
		}
		return l, true
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("line %d: %s", lineNo, fmt.Sprintf(format, a...))
	}
	var t *Table
	for t == nil {
		l, ok := next()
		if !ok {
			return nil, fmt.Errorf("no table block")
		}
		f := strings.Fields(l)
		if len(f) == 4 && f[0] == "table" && f[3] == "{" {
			t = &Table{Family: f[1], Name: f[2]}
		}
	}
	for {
		l, ok := next()
		if !ok {
			return nil, fail("table %s: missing }", t.ID())
		}
		f := strings.Fields(l)
		switch {
		case l == "}":
			return t, nil
		case len(f) == 3 && f[0] == "set" && f[2] == "{":
			s := Set{Name: f[1]}
			for {
				l, ok := next()
				if !ok || l == "}" {
					break
				}
				k, v, _ := strings.Cut(l, " ")
				var err error
				switch k {
				case "type":
					s.Type = v
				case "size":
					var n uint64
					n, err = strconv.ParseUint(v, 10, 32)
					s.Size = uint32(n)
				case "flags":
					for _, fl := range strings.Split(v, ",") {
						switch fl {
						case "dynamic":
							s.Dynamic = true
						case "interval":
							s.Interval = true
						case "timeout":
						default:
							err = fmt.Errorf("set flag %q not modelled", fl)
						}
					}
				case "timeout":
					s.Timeout, err = parseTimeout(v)
				case "elements":
					s.Elements, err = parseElements(v)
				default:
					err = fmt.Errorf("set line %q not modelled", l)
				}
				if err != nil {
					return nil, fail("set %s: %v", s.Name, err)
				}
			}
			t.Sets = append(t.Sets, s)
		case len(f) == 3 && f[0] == "chain" && f[2] == "{":
			c := Chain{Name: f[1]}
			for first := true; ; first = false {
				l, ok := next()
				if !ok || l == "}" {
					break
				}
				if m := chainHeader.FindStringSubmatch(l); first && m != nil {
					p, err := parsePriority(m[3])
					if err != nil {
						return nil, fail("chain %s: %v", c.Name, err)
					}
					c.Type, c.Hook, c.Priority, c.Policy = m[1], m[2], p, m[4]
					continue
				}
				r, err := ParseRule(l)
				if err != nil {
					return nil, fail("chain %s: %v", c.Name, err)
				}
				c.Rules = append(c.Rules, r)
			}
			t.Chains = append(t.Chains, c)
		default:
			return nil, fail("%q not modelled", l)
		}
	}
}

func parseTimeout(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseUint(n, 10, 32)
			if err == nil {
				return time.Duration(v) * u.d, nil
			}
		}
	}
	return 0, fmt.Errorf("timeout %q not modelled", s)
}

// ParseRule parses one rule line.
func ParseRule(line string) (Rule, error) {
	p := &ruleParser{toks: strings.Fields(line)}
	var r Rule
	for !p.done() {
		s, err := p.stmt()
		if err != nil {
			return Rule{}, fmt.Errorf("rule %q: %w", line, err)
		}
		r.Stmts = append(r.Stmts, s)
	}
	if len(r.Stmts) == 0 {
		return Rule{}, fmt.Errorf("empty rule")
	}
	return r, nil
}

type ruleParser struct {
	toks []string
	i    int
}

func (p *ruleParser) done() bool { return p.i >= len(p.toks) }

func (p *ruleParser) peek() string {
	if p.done() {
		return ""
	}
	return p.toks[p.i]
}

func (p *ruleParser) take() string {
	t := p.peek()
	p.i++
	return t
}

func (p *ruleParser) expect(want string) error {
	if got := p.take(); got != want {
		return fmt.Errorf("expected %q, got %q", want, got)
	}
	return nil
}

func (p *ruleParser) number(bits int) (uint64, error) {
	t := p.take()
	n, err := strconv.ParseUint(t, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("expected a number, got %q", t)
	}
	return n, nil
}

func (p *ruleParser) stmt() (Stmt, error) {
	switch kw := p.take(); kw {
	case "iif", "oif":
		s := Iface{Out: kw == "oif"}
		if p.peek() == "!=" {
			p.take()
			s.Neg = true
		}
		s.Name = strings.Trim(p.take(), `"`)
		return s, nil
	case "ip", "ip6":
		if err := p.expect("saddr"); err != nil {
			return nil, err
		}
		key, err := p.keyMask()
		if err != nil {
			return nil, err
		}
		in := SaddrIn{V6: kw == "ip6", Key: key}
		if p.peek() == "!=" {
			p.take()
			in.Neg = true
		}
		t := p.take()
		if name, ok := strings.CutPrefix(t, "@"); ok {
			in.Set = name
			return in, nil
		}
		if in.Neg || key != 0 {
			return nil, fmt.Errorf("%s saddr: a mask or != only before a set", kw)
		}
		pfx, err := parsePrefix(t)
		if err != nil || pfx.Addr().Is6() != (kw == "ip6") {
			return nil, fmt.Errorf("bad %s address %q", kw, t)
		}
		return Saddr{Prefix: pfx}, nil
	case "ct":
		if p.peek() == "count" {
			return p.ctCount()
		}
		if p.peek() == "status" {
			p.take()
			mask, err := parseBits(ctStatuses, "ct status", p.take())
			return CtStatus{Mask: mask}, err
		}
		if err := p.expect("state"); err != nil {
			return nil, err
		}
		mask, err := parseBits(ctStates, "ct state", p.take())
		return CtState{Mask: mask}, err
	case "icmp", "icmpv6":
		if err := p.expect("type"); err != nil {
			return nil, err
		}
		names := icmpTypes
		if kw == "icmpv6" {
			names = icmpv6Types
		}
		name := p.take()
		for n, nm := range names {
			if nm == name {
				return ICMPType{V6: kw == "icmpv6", Type: n}, nil
			}
		}
		n, err := strconv.ParseUint(name, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("%s type %q not modelled", kw, name)
		}
		return ICMPType{V6: kw == "icmpv6", Type: uint8(n)}, nil
	case "tcp", "udp":
		proto := uint8(protoTCP)
		if kw == "udp" {
			proto = protoUDP
		}
		if p.peek() == "sport" {
			return p.sportDport(kw, proto)
		}
		if err := p.expect("dport"); err != nil {
			return nil, err
		}
		if p.peek() == "{" {
			return p.portSet(proto)
		}
		n, err := p.number(16)
		return Dport{Proto: proto, Port: uint16(n)}, err
	case "limit":
		return p.limit()
	case "iifname", "oifname", "meta":
		return p.forwardStmt(kw)
	case "add", "update":
		s := SetUpdate{Update: kw == "update", Set: strings.TrimPrefix(p.take(), "@")}
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		switch fam := p.take(); fam {
		case "ip", "ip6":
			s.V6 = fam == "ip6"
		default:
			return nil, fmt.Errorf("set key %q not modelled", fam)
		}
		if err := p.expect("saddr"); err != nil {
			return nil, err
		}
		var err error
		if s.Key, err = p.keyMask(); err != nil {
			return nil, err
		}
		switch p.take() {
		case "limit":
			s.Stateful, err = p.limit()
		case "ct":
			s.Stateful, err = p.ctCount()
		default:
			err = fmt.Errorf("meter statement not modelled")
		}
		if err != nil {
			return nil, err
		}
		return s, p.expect("}")
	case "counter":
		// `nft list` prints the values; they are not part of the model.
		if p.peek() == "packets" {
			p.i += 4
		}
		return Counter{}, nil
	case "accept", "drop":
		return Verdict{Kind: kw}, nil
	default:
		return nil, fmt.Errorf("statement %q not modelled", kw)
	}
}
