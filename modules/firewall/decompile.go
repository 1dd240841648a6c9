package firewall

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// decompile.go reads kernel expressions back into the model. For each
// position it guesses the statements that could start there from the first
// expressions, compiles each guess and keeps the one whose expressions are
// exactly the ones read (compared as netlink bytes, with counter values and
// set ids zeroed). A rule therefore decompiles to a statement only if that
// statement compiles back to the very same expressions.

// readSets tells the decompiler about the sets of the table being read:
// whether a lookup names a named set or an anonymous one, and the ports an
// anonymous port set holds.
type readSets map[string]readSet

type readSet struct {
	anonymous bool
	ports     []uint16 // an anonymous constant set of inet_service keys; nil otherwise
}

// decompileRule turns a rule's expressions into statements. What cannot be
// matched ends the rule as one Unknown statement.
func decompileRule(exprs []expr.Any, sets readSets) Rule {
	var r Rule
	for i := 0; i < len(exprs); {
		s, n := matchStmt(exprs[i:], sets)
		if n == 0 {
			r.Stmts = append(r.Stmts, Unknown{Exprs: exprNames(exprs[i:])})
			return r
		}
		r.Stmts = append(r.Stmts, s)
		i += n
	}
	return r
}

func matchStmt(exprs []expr.Any, sets readSets) (Stmt, int) {
	for _, cand := range candidates(exprs, sets) {
		want, err := compileStmt(cand, nil)
		if err != nil || len(want) > len(exprs) {
			continue
		}
		if sameExprs(want, exprs[:len(want)]) {
			return cand, len(want)
		}
	}
	return nil, 0
}

// candidates guesses statements from the leading expressions; matchStmt
// checks each guess by compiling it.
func candidates(exprs []expr.Any, sets readSets) []Stmt {
	at := func(i int) expr.Any { return exprAt(exprs, i) }
	cmpData := func(i int) []byte {
		if c, ok := at(i).(*expr.Cmp); ok {
			return c.Data
		}
		return nil
	}
	var out []Stmt
	switch e := exprs[0].(type) {
	case *expr.Meta:
		switch e.Key {
		case expr.MetaKeyIIF, expr.MetaKeyOIF:
			c, _ := at(1).(*expr.Cmp)
			out = append(out, Iface{Out: e.Key == expr.MetaKeyOIF, Neg: c != nil && c.Op == expr.CmpOpNeq, Name: "lo"})
		case expr.MetaKeyNFPROTO:
			v6 := bytes.Equal(cmpData(1), []byte{unix.NFPROTO_IPV6})
			if p, ok := at(2).(*expr.Payload); ok && p.Base == expr.PayloadBaseNetworkHeader {
				next, key := 3, 0
				if b, ok := at(3).(*expr.Bitwise); ok {
					if ones, bits := net.IPMask(b.Mask).Size(); bits > 0 {
						next, key = 4, ones
					}
				}
				if d, ok := at(next).(*expr.Dynset); ok {
					out = append(out, dynsetStmt(d, v6, key))
				}
				if l, ok := at(next).(*expr.Lookup); ok {
					if s, ok := sets[l.SetName]; ok && !s.anonymous {
						out = append(out, SaddrIn{V6: v6, Set: l.SetName, Neg: l.Invert, Key: key})
					}
				}
				if addr, ok := prefixFrom(cmpData(3), v6); ok {
					out = append(out, Saddr{Prefix: addr})
				}
				if b, ok := at(3).(*expr.Bitwise); ok {
					if addr, ok := maskedPrefix(cmpData(4), b.Mask); ok {
						out = append(out, Saddr{Prefix: addr})
					}
				}
			}
			if t := cmpData(5); len(t) == 1 {
				out = append(out, ICMPType{V6: v6, Type: t[0]})
			}
		case expr.MetaKeyL4PROTO:
			if p, port := cmpData(1), cmpData(3); len(p) == 1 && len(port) == 2 {
				out = append(out, Dport{Proto: p[0], Port: binary.BigEndian.Uint16(port)})
			}
			if p, ports := cmpData(1), cmpData(3); len(p) == 1 && len(ports) == 4 {
				out = append(out, SportDport{Proto: p[0], Sport: binary.BigEndian.Uint16(ports),
					Dport: binary.BigEndian.Uint16(ports[2:])})
			}
			if l, ok := at(3).(*expr.Lookup); ok {
				if p, s := cmpData(1), sets[l.SetName]; len(p) == 1 && s.anonymous && s.ports != nil {
					out = append(out, DportSet{Proto: p[0], Ports: s.ports})
				}
			}
		}
	case *expr.Ct:
		if b, ok := at(1).(*expr.Bitwise); ok && len(b.Mask) == 4 {
			out = append(out, CtState{Mask: binary.NativeEndian.Uint32(b.Mask)})
		}
	case *expr.Limit:
		out = append(out, limitStmt(e))
	case *expr.Connlimit:
		out = append(out, ctCountStmt(e))
	case *expr.Counter:
		out = append(out, Counter{})
	case *expr.Verdict:
		switch e.Kind {
		case expr.VerdictAccept:
			out = append(out, Verdict{Kind: "accept"})
		case expr.VerdictDrop:
			out = append(out, Verdict{Kind: "drop"})
		}
	}
	return append(out, forwardCandidates(exprs)...)
}

func dynsetStmt(d *expr.Dynset, v6 bool, key int) Stmt {
	s := SetUpdate{Update: d.Operation == unix.NFT_DYNSET_OP_UPDATE, Set: d.SetName, V6: v6, Key: key}
	if len(d.Exprs) == 1 {
		switch st := d.Exprs[0].(type) {
		case *expr.Limit:
			s.Stateful = limitStmt(st)
		case *expr.Connlimit:
			s.Stateful = ctCountStmt(st)
		}
	}
	return s
}

func ctCountStmt(c *expr.Connlimit) CtCount {
	return CtCount{Count: c.Count, Over: c.Flags&expr.NFT_CONNLIMIT_F_INV != 0}
}

func limitStmt(l *expr.Limit) Limit {
	return Limit{Rate: l.Rate, Unit: time.Duration(l.Unit) * time.Second, Burst: l.Burst, Over: l.Over}
}

// prefixFrom reads a whole-byte prefix from a compared address head.
func prefixFrom(b []byte, v6 bool) (netip.Prefix, bool) {
	size := 4
	if v6 {
		size = 16
	}
	if len(b) == 0 || len(b) > size {
		return netip.Prefix{}, false
	}
	full := make([]byte, size)
	copy(full, b)
	addr, _ := netip.AddrFromSlice(full)
	return netip.PrefixFrom(addr, len(b)*8), true
}

// maskedPrefix reads a prefix from a whole address and the mask it was
// compared under; false unless the mask is a prefix mask.
func maskedPrefix(addrBytes, mask []byte) (netip.Prefix, bool) {
	addr, ok := netip.AddrFromSlice(addrBytes)
	ones, bits := net.IPMask(mask).Size()
	if !ok || bits != addr.BitLen() || ones == 0 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, ones), true
}

// sameExprs compares expressions as the kernel sees them.
func sameExprs(a, b []expr.Any) bool {
	for i := range a {
		ma, err1 := expr.Marshal(byte(nftables.TableFamilyINet), normalise(a[i]))
		mb, err2 := expr.Marshal(byte(nftables.TableFamilyINet), normalise(b[i]))
		if err1 != nil || err2 != nil || !bytes.Equal(ma, mb) {
			return false
		}
	}
	return true
}

// normalise drops what changes without the rule changing: counter values,
// the set id a batch used (the kernel refers to the set by name) and the
// name the kernel gave an anonymous set (its elements are compared instead).
func normalise(e expr.Any) expr.Any {
	switch e := e.(type) {
	case *expr.Counter:
		return &expr.Counter{}
	case *expr.Dynset:
		c := *e
		c.SetID = 0
		return &c
	case *expr.Lookup:
		c := *e
		c.SetID = 0
		if strings.HasPrefix(c.SetName, "__set") {
			c.SetName = ""
		}
		return &c
	}
	return e
}

func exprNames(exprs []expr.Any) string {
	names := make([]string, len(exprs))
	for i, e := range exprs {
		names[i] = strings.ToLower(strings.TrimPrefix(reflect.TypeOf(e).String(), "*expr."))
	}
	return strings.Join(names, " ")
}

// readTable reads one table over netlink into the model; nil if absent.
// Anonymous sets are read as the port sets of the rules that look them up;
// any other anonymous set leaves its rule Unknown.
func readTable(c *nftables.Conn, family, name string) (*Table, error) {
	fam := families[family]
	tables, err := c.ListTablesOfFamily(fam)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var nt *nftables.Table
	for _, t := range tables {
		if t.Name == name {
			nt = t
		}
	}
	if nt == nil {
		return nil, nil
	}
	t := &Table{Family: family, Name: name}
	sets, err := c.GetSets(nt)
	if err != nil {
		return nil, fmt.Errorf("list sets of %s: %w", t.ID(), err)
	}
	known := readSets{}
	for _, s := range sets {
		if s.Anonymous {
			rs := readSet{anonymous: true}
			if s.KeyType.Name == nftables.TypeInetService.Name && !s.Interval && !s.IsMap {
				if rs.ports, err = readPorts(c, s); err != nil {
					return nil, fmt.Errorf("list elements of %s: %w", t.ID(), err)
				}
			}
			known[s.Name] = rs
			continue
		}
		known[s.Name] = readSet{}
		ms := Set{Name: s.Name, Type: s.KeyType.Name, Size: s.Size, Dynamic: s.Dynamic, Interval: s.Interval,
			Timeout: s.Timeout}
		// A meter's elements come and go with traffic: not part of the model.
		if !s.Dynamic && (s.KeyType.Name == "ipv4_addr" || s.KeyType.Name == "ipv6_addr") {
			elems, err := c.GetSetElements(s)
			if err != nil {
				return nil, fmt.Errorf("list elements of %s set %s: %w", t.ID(), s.Name, err)
			}
			if s.Interval {
				ms.Elements = prefixesOfIntervals(elems)
			} else {
				ms.Elements = prefixesOfAddrs(elems)
			}
		}
		t.Sets = append(t.Sets, ms)
	}
	chains, err := c.ListChainsOfTableFamily(fam)
	if err != nil {
		return nil, fmt.Errorf("list chains of %s: %w", t.ID(), err)
	}
	for _, ch := range chains {
		if ch.Table.Name != name {
			continue
		}
		mc := Chain{Name: ch.Name, Type: string(ch.Type)}
		if ch.Hooknum != nil {
			for hn, h := range hooks {
				if *h == *ch.Hooknum {
					mc.Hook = hn
				}
			}
			if ch.Priority != nil {
				mc.Priority = int32(*ch.Priority)
			}
			mc.Policy = "accept"
			if ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop {
				mc.Policy = "drop"
			}
		}
		rules, err := c.GetRules(nt, ch)
		if err != nil {
			return nil, fmt.Errorf("list rules of %s chain %s: %w", t.ID(), ch.Name, err)
		}
		for _, r := range rules {
			mc.Rules = append(mc.Rules, decompileRule(r.Exprs, known))
		}
		t.Chains = append(t.Chains, mc)
	}
	return t, nil
}

// readPorts reads an anonymous port set's elements, sorted; nil (the rule
// stays Unknown) if one is not a port.
func readPorts(c *nftables.Conn, s *nftables.Set) ([]uint16, error) {
	elems, err := c.GetSetElements(s)
	if err != nil {
		return nil, err
	}
	ports := make([]uint16, 0, len(elems))
	for _, e := range elems {
		if len(e.Key) != 2 || e.IntervalEnd || len(e.Val) > 0 {
			return nil, nil
		}
		ports = append(ports, binary.BigEndian.Uint16(e.Key))
	}
	slices.Sort(ports)
	return slices.Compact(ports), nil
}

// listTablesAndChains names every table ("family name") and chain
// ("family table chain"), in the kernel's order.
func listTablesAndChains(c *nftables.Conn) (tables, chains []string, err error) {
	ts, err := c.ListTables()
	if err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	for _, t := range ts {
		tables = append(tables, familyName(t.Family)+" "+t.Name)
	}
	cs, err := c.ListChains()
	if err != nil {
		return nil, nil, fmt.Errorf("list chains: %w", err)
	}
	for _, ch := range cs {
		chains = append(chains, familyName(ch.Table.Family)+" "+ch.Table.Name+" "+ch.Name)
	}
	return tables, chains, nil
}

// HasUnknown reports whether any rule holds expressions harden does not model.
func (t *Table) HasUnknown() bool {
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for _, s := range r.Stmts {
				if _, ok := s.(Unknown); ok {
					return true
				}
			}
		}
	}
	return false
}
