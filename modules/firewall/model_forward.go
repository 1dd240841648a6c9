package firewall

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
)

// model_forward.go: the statements of the chains that let container
// traffic through (the forward and prerouting chains): their text form,
// their expressions, and how they are read back and parsed.

// IfaceName matches the input (iifname) or output (oifname) interface by
// name; a name ending in * matches every name with that beginning
// ("br-*": Docker's user-defined networks), which includes interfaces
// created after the table was loaded.
type IfaceName struct {
	Out  bool
	Name string
}

// CtStatus matches a connection with any of the status bits in Mask
// ("ct status dnat": its destination was translated, as for a port a
// container publishes).
type CtStatus struct {
	Mask uint32
}

// L4Proto matches the transport protocol: "meta l4proto tcp".
type L4Proto struct {
	Proto uint8
}

// ifNameSize is IFNAMSIZ: an exact interface name is compared with its
// terminating NUL, padded to this size.
const ifNameSize = 16

// Conntrack status bits, as the kernel numbers them, in nft's print order.
var ctStatuses = []bitName{
	{"expected", 1}, {"seen-reply", 2}, {"assured", 4}, {"confirmed", 8}, {"snat", 0x10}, {"dnat", 0x20},
	{"dying", 0x200},
}

func (s IfaceName) String() string {
	kw := "iifname"
	if s.Out {
		kw = "oifname"
	}
	return fmt.Sprintf("%s %q", kw, s.Name)
}

func (s CtStatus) String() string { return "ct status " + formatBits(ctStatuses, s.Mask) }

// bitName names one bit of a mask (a conntrack state or status).
type bitName struct {
	name string
	bit  uint32
}

// formatBits prints the names of a mask's bits as nft does: "a,b", and
// any bit without a name in hex.
func formatBits(names []bitName, mask uint32) string {
	var out []string
	rest := mask
	for _, n := range names {
		if mask&n.bit != 0 {
			out = append(out, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", rest))
	}
	return strings.Join(out, ",")
}

// parseBits reads what formatBits prints (names only).
func parseBits(names []bitName, what, text string) (uint32, error) {
	var mask uint32
	for _, name := range strings.Split(text, ",") {
		i := slices.IndexFunc(names, func(n bitName) bool { return n.name == name })
		if i < 0 {
			return 0, fmt.Errorf("%s %q not modelled", what, name)
		}
		mask |= names[i].bit
	}
	return mask, nil
}

func (s L4Proto) String() string { return "meta l4proto " + protoName(s.Proto) }

// ifNameData is the register value an interface name is compared with.
func ifNameData(name string) []byte {
	if prefix, ok := strings.CutSuffix(name, "*"); ok {
		return []byte(prefix)
	}
	data := make([]byte, ifNameSize)
	copy(data, name)
	return data
}

// compileForward returns the expressions of the statements above.
func compileForward(s Stmt) ([]expr.Any, error) {
	switch s := s.(type) {
	case IfaceName:
		if len(s.Name) == 0 || len(s.Name) >= ifNameSize || strings.Contains(strings.TrimSuffix(s.Name, "*"), "*") {
			return nil, fmt.Errorf("interface name %q: 1 to 15 characters, * only at the end", s.Name)
		}
		key := expr.MetaKeyIIFNAME
		if s.Out {
			key = expr.MetaKeyOIFNAME
		}
		return []expr.Any{
			&expr.Meta{Key: key, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifNameData(s.Name)},
		}, nil
	case CtStatus:
		return ctBits(expr.CtKeySTATUS, s.Mask), nil
	case L4Proto:
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{s.Proto}},
		}, nil
	}
	return nil, fmt.Errorf("statement %T not modelled", s)
}

// forwardCandidates guesses the statements above from the leading
// expressions; matchStmt keeps one only if it compiles to them exactly.
func forwardCandidates(exprs []expr.Any) []Stmt {
	cmp, _ := exprAt(exprs, 1).(*expr.Cmp)
	switch e := exprs[0].(type) {
	case *expr.Meta:
		switch {
		case (e.Key == expr.MetaKeyIIFNAME || e.Key == expr.MetaKeyOIFNAME) && cmp != nil:
			return []Stmt{IfaceName{Out: e.Key == expr.MetaKeyOIFNAME, Name: ifNameOf(cmp.Data)}}
		case e.Key == expr.MetaKeyL4PROTO && cmp != nil && len(cmp.Data) == 1:
			return []Stmt{L4Proto{Proto: cmp.Data[0]}}
		}
	case *expr.Ct:
		if b, ok := exprAt(exprs, 1).(*expr.Bitwise); ok && e.Key == expr.CtKeySTATUS && len(b.Mask) == 4 {
			return []Stmt{CtStatus{Mask: binary.NativeEndian.Uint32(b.Mask)}}
		}
	}
	return nil
}

// ifNameOf reads an interface name back from compared bytes: up to the
// NUL for an exact name, a wildcard when there is none.
func ifNameOf(data []byte) string {
	if i := slices.Index(data, 0); i >= 0 {
		return string(data[:i])
	}
	return string(data) + "*"
}

func exprAt(exprs []expr.Any, i int) expr.Any {
	if i < len(exprs) {
		return exprs[i]
	}
	return nil
}

// forwardStmt parses "iifname NAME", "oifname NAME" and "meta l4proto P"
// after their keyword.
func (p *ruleParser) forwardStmt(kw string) (Stmt, error) {
	if kw == "meta" {
		if err := p.expect("l4proto"); err != nil {
			return nil, err
		}
		switch t := p.take(); t {
		case "tcp":
			return L4Proto{Proto: protoTCP}, nil
		case "udp":
			return L4Proto{Proto: protoUDP}, nil
		default:
			n, err := strconv.ParseUint(t, 10, 8)
			if err != nil {
				return nil, fmt.Errorf("meta l4proto %q not modelled", t)
			}
			return L4Proto{Proto: uint8(n)}, nil
		}
	}
	name, err := strconv.Unquote(p.take())
	if err != nil {
		return nil, fmt.Errorf("%s: expected a quoted interface name", kw)
	}
	return IfaceName{Out: kw == "oifname", Name: name}, nil
}
