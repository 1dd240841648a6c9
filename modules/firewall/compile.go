package firewall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// compile.go turns model statements into the netlink expressions nft itself
// generates for the same text (checked with `nft --debug=netlink`), so a
// table loaded from the persisted file by nft reads back exactly like one
// harden loaded over netlink.

const loopbackIndex = 1 // LOOPBACK_IFINDEX: the same in every namespace

var errUnknown = errors.New("statement not understood by harden")

// maxSetPorts is how many ports one anonymous set may hold: its elements
// travel in one netlink attribute, whose length field has 16 bits (16
// bytes an element).
const maxSetPorts = 4000

// setRefs resolves the sets rules refer to while a batch is built. A nil
// *setRefs compiles for comparison with what was read back: set ids are
// 0 and anonymous sets have no name.
type setRefs struct {
	c     *nftables.Conn
	table *nftables.Table
	ids   map[string]uint32 // named set → its id in the batch
}

func (r *setRefs) id(name string) uint32 {
	if r == nil {
		return 0
	}
	return r.ids[name]
}

// anonPorts queues the anonymous constant set a port-set rule looks up;
// it must precede the rule in the batch.
func (r *setRefs) anonPorts(ports []uint16) (string, uint32, error) {
	if len(ports) == 0 || len(ports) > maxSetPorts {
		return "", 0, fmt.Errorf("a port set holds 1 to %d ports, not %d", maxSetPorts, len(ports))
	}
	if r == nil {
		return "", 0, nil
	}
	elems := make([]nftables.SetElement, len(ports))
	for i, p := range ports {
		elems[i] = nftables.SetElement{Key: binary.BigEndian.AppendUint16(nil, p)}
	}
	s := &nftables.Set{Table: r.table, KeyType: nftables.TypeInetService, Anonymous: true, Constant: true}
	if err := r.c.AddSet(s, elems); err != nil {
		return "", 0, err
	}
	return s.Name, s.ID, nil
}

// compileStmt returns the expressions for one statement.
func compileStmt(s Stmt, refs *setRefs) ([]expr.Any, error) {
	switch s := s.(type) {
	case Iface:
		if s.Name != "lo" {
			return nil, fmt.Errorf("interface %q: only \"lo\" is modelled", s.Name)
		}
		key, op := expr.MetaKeyIIF, expr.CmpOpEq
		if s.Out {
			key = expr.MetaKeyOIF
		}
		if s.Neg {
			op = expr.CmpOpNeq
		}
		return []expr.Any{
			&expr.Meta{Key: key, Register: 1},
			&expr.Cmp{Op: op, Register: 1, Data: native32(loopbackIndex)},
		}, nil
	case Saddr:
		return compileSaddr(s.Prefix)
	case SaddrIn:
		return append(compileSaddrKey(s.V6, s.Key),
			&expr.Lookup{SourceRegister: 1, SetName: s.Set, SetID: refs.id(s.Set), Invert: s.Neg}), nil
	case CtState:
		return ctBits(expr.CtKeySTATE, s.Mask), nil
	case ICMPType:
		proto := byte(protoICMP)
		if s.V6 {
			proto = protoICMPv6
		}
		return append(nfproto(s.V6),
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{s.Type}},
		), nil
	case Dport:
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{s.Proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, s.Port)},
		}, nil
	case DportSet:
		name, id, err := refs.anonPorts(s.Ports)
		if err != nil {
			return nil, err
		}
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{s.Proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Lookup{SourceRegister: 1, SetName: name, SetID: id},
		}, nil
	case SportDport:
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{s.Proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1,
				Data: binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, s.Sport), s.Dport)},
		}, nil
	case Limit:
		return []expr.Any{limitExpr(s)}, nil
	case SetUpdate:
		var stateful expr.Any
		switch st := s.Stateful.(type) {
		case Limit:
			stateful = limitExpr(st)
		case CtCount:
			stateful = connlimitExpr(st)
		default:
			return nil, fmt.Errorf("set @%s: stateful statement %T not modelled", s.Set, s.Stateful)
		}
		op := uint32(unix.NFT_DYNSET_OP_ADD)
		if s.Update {
			op = unix.NFT_DYNSET_OP_UPDATE
		}
		return append(compileSaddrKey(s.V6, s.Key),
			&expr.Dynset{SrcRegKey: 1, SetName: s.Set, SetID: refs.id(s.Set), Operation: op,
				Exprs: []expr.Any{stateful}},
		), nil
	case CtCount:
		return []expr.Any{connlimitExpr(s)}, nil
	case Counter:
		return []expr.Any{&expr.Counter{}}, nil
	case Verdict:
		switch s.Kind {
		case "accept":
			return []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}}, nil
		case "drop":
			return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}, nil
		}
		return nil, fmt.Errorf("verdict %q not modelled", s.Kind)
	case IfaceName, CtStatus, L4Proto:
		return compileForward(s)
	case Unknown:
		return nil, errUnknown
	}
	return nil, fmt.Errorf("statement %T not modelled", s)
}

// compileRule returns a rule's expressions.
func compileRule(r Rule, refs *setRefs) ([]expr.Any, error) {
	var out []expr.Any
	for _, s := range r.Stmts {
		e, err := compileStmt(s, refs)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r, err)
		}
		out = append(out, e...)
	}
	return out, nil
}

// compileSaddr matches the source address against a prefix as nft does:
// a whole-byte prefix compares its leading bytes; any other loads the
// whole address and masks it.
func compileSaddr(p netip.Prefix) ([]expr.Any, error) {
	bits, v6 := p.Bits(), p.Addr().Is6()
	if bits == 0 {
		return nil, fmt.Errorf("source prefix %s matches every address", p)
	}
	addr := p.Masked().Addr().AsSlice()
	head := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: saddrOffset(v6),
		Len: uint32(len(addr))}
	if bits%8 == 0 {
		head.Len = uint32(bits / 8)
		return append(nfproto(v6), head, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr[:bits/8]}), nil
	}
	mask := net.CIDRMask(bits, len(addr)*8)
	return append(nfproto(v6), head,
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(len(addr)), Mask: mask,
			Xor: make([]byte, len(addr))},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr},
	), nil
}

// compileSaddrKey loads the source address into register 1 as a set key:
// the whole address, masked to a prefix when key is shorter.
func compileSaddrKey(v6 bool, key int) []expr.Any {
	size := 4
	if v6 {
		size = 16
	}
	out := append(nfproto(v6),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: saddrOffset(v6), Len: uint32(size)})
	if key > 0 && key < size*8 {
		out = append(out, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(size),
			Mask: net.CIDRMask(key, size*8), Xor: make([]byte, size)})
	}
	return out
}

// ctBits matches a conntrack key (state, status) holding any bit of mask.
func ctBits(key expr.CtKey, mask uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: key},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: native32(mask), Xor: native32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: native32(0)},
	}
}

func connlimitExpr(c CtCount) *expr.Connlimit {
	var flags uint32
	if c.Over {
		flags = expr.NFT_CONNLIMIT_F_INV
	}
	return &expr.Connlimit{Count: c.Count, Flags: flags}
}

func limitExpr(s Limit) *expr.Limit {
	burst := s.Burst
	if burst == 0 {
		burst = 5 // what nft sends when no burst is given
	}
	return &expr.Limit{Type: expr.LimitTypePkts, Rate: s.Rate, Over: s.Over,
		Unit: expr.LimitTime(s.Unit.Seconds()), Burst: burst}
}

// nfproto is the family check nft puts before an ip/ip6 match in an inet table.
func nfproto(v6 bool) []expr.Any {
	fam := byte(unix.NFPROTO_IPV4)
	if v6 {
		fam = unix.NFPROTO_IPV6
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{fam}},
	}
}

func saddrOffset(v6 bool) uint32 {
	if v6 {
		return 8
	}
	return 12
}

// native32 is a host-order 32-bit register value (meta iif, ct state).
func native32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

var families = map[string]nftables.TableFamily{
	"inet": nftables.TableFamilyINet, "ip": nftables.TableFamilyIPv4, "ip6": nftables.TableFamilyIPv6,
	"arp": nftables.TableFamilyARP, "bridge": nftables.TableFamilyBridge, "netdev": nftables.TableFamilyNetdev,
}

func familyName(f nftables.TableFamily) string {
	for n, v := range families {
		if v == f {
			return n
		}
	}
	return fmt.Sprint(uint8(f))
}

var hooks = map[string]*nftables.ChainHook{
	"input": nftables.ChainHookInput, "forward": nftables.ChainHookForward, "output": nftables.ChainHookOutput,
	"prerouting": nftables.ChainHookPrerouting, "postrouting": nftables.ChainHookPostrouting,
}
