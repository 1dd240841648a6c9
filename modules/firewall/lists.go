package firewall

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"harden/modules/module"
)

// lists.go decodes the list attributes that may be long (ports to allow,
// addresses to deny or allow). gohcl converts a whole tuple to a list by
// unifying its element types, which grows faster than the list: half a
// second for 10,000 addresses. Converting each element alone is linear.

// listElems evaluates a list attribute and converts each element to want.
// A null or absent attribute gives ok false. Elements that do not convert
// are diagnostics at the element, and null in vals (indexes stay).
func listElems(body hcl.Body, ctx *hcl.EvalContext, name string, expr hcl.Expression, want cty.Type,
	what string, diags *hcl.Diagnostics) (vals []cty.Value, ok bool) {
	v, d := expr.Value(ctx)
	*diags = append(*diags, d...)
	if d.HasErrors() || v.IsNull() {
		return nil, false
	}
	ty := v.Type()
	if !v.IsWhollyKnown() || !(ty.IsTupleType() || ty.IsListType() || ty.IsSetType()) {
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + name,
			Detail:  fmt.Sprintf("%s: expected a list of %s, or null.", name, what),
			Subject: module.AttrRange(body, name).Ptr()})
		return nil, false
	}
	v, _ = v.Unmark()
	n := v.LengthInt()
	vals = make([]cty.Value, 0, n)
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		cv, err := convert.Convert(ev, want)
		if err != nil || cv.IsNull() {
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + name,
				Detail:  fmt.Sprintf("%s: element %d is not one of %s.", name, i+1, what),
				Subject: elemRange(body, name, i, n).Ptr()})
			cv = cty.NullVal(want)
		}
		vals = append(vals, cv)
	}
	return vals, true
}

// decodePorts reads a port list; null or absent is none.
func decodePorts(body hcl.Body, ctx *hcl.EvalContext, name string, expr hcl.Expression, diags *hcl.Diagnostics) []int {
	vals, ok := listElems(body, ctx, name, expr, cty.Number, "ports (numbers)", diags)
	if !ok {
		return nil
	}
	out := make([]int, 0, len(vals))
	for _, v := range vals {
		if v.IsNull() {
			continue
		}
		n, acc := v.AsBigFloat().Int64()
		if acc != big.Exact || n < 1 || n > 65535 {
			*diags = append(*diags, module.BadValue(module.AttrRange(body, name), name, v.AsBigFloat().String(),
				"a port from 1 to 65535", nil))
			continue
		}
		*diags = append(*diags, checkPort(body, name, int(n))...)
		out = append(out, int(n))
	}
	if len(out) > maxSetPorts {
		*diags = append(*diags, module.BadValue(module.AttrRange(body, name), name,
			strconv.Itoa(len(out))+" ports", fmt.Sprintf("at most %d ports (the set one rule matches)", maxSetPorts), nil))
	}
	return out
}

// maxSourceDiags bounds the diagnostics for one address list: a generated
// list with a systematic mistake should not print thousands.
const maxSourceDiags = 5

const sourceExpected = `an IPv4 or IPv6 address or CIDR prefix such as "203.0.113.7", "198.51.100.0/24" or "2001:db8::/32"`

// decodeSources reads a list of addresses and prefixes into sorted,
// merged prefixes; each bad entry is a diagnostic at the entry. Null,
// absent and [] give none.
func decodeSources(body hcl.Body, ctx *hcl.EvalContext, name string, expr hcl.Expression, diags *hcl.Diagnostics) []netip.Prefix {
	vals, ok := listElems(body, ctx, name, expr, cty.String, "addresses or prefixes (strings)", diags)
	if !ok {
		return nil
	}
	bad := 0
	out := make([]netip.Prefix, 0, len(vals))
	for i, v := range vals {
		if v.IsNull() {
			continue
		}
		e := v.AsString()
		p, expected, fix := parseSource(e)
		if expected == "" {
			out = append(out, p)
			continue
		}
		if bad++; bad <= maxSourceDiags {
			var valid []string
			if fix != "" {
				valid = []string{fix}
			}
			*diags = append(*diags, module.BadValue(elemRange(body, name, i, len(vals)), name, e, expected, valid))
		}
	}
	if bad > maxSourceDiags {
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + name,
			Detail:  fmt.Sprintf("%s: %d more entries are not valid.", name, bad-maxSourceDiags),
			Subject: module.AttrRange(body, name).Ptr()})
	}
	if len(out) == 0 {
		return nil
	}
	return mergePrefixes(out)
}

// sourceFault is what is wrong with one entry of an address list.
type sourceFault int

const (
	sourceOK         sourceFault = iota
	sourceNotAddress             // neither an address nor a CIDR prefix
	sourceMapped                 // IPv4-mapped IPv6: no IPv4 packet carries one
	sourceHostBits               // a prefix with host bits set
)

// checkSource reads one entry of deny_sources, ssh_allow_sources or
// deny_sources_file. On a fault it also gives the entry as it should be
// written, where that is clear (the IPv4 address, the masked prefix).
func checkSource(e string) (p netip.Prefix, fault sourceFault, fix netip.Prefix) {
	p, err := parsePrefix(e)
	switch {
	case err != nil:
		return p, sourceNotAddress, netip.Prefix{}
	case p.Addr().Is4In6():
		return p, sourceMapped, netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	case p.Masked() != p:
		return p, sourceHostBits, p.Masked()
	}
	return p, sourceOK, netip.Prefix{}
}

// parseSource reads one profile entry; on error it says what was expected
// and, when the mistake is clear, the entry as it should be.
func parseSource(e string) (p netip.Prefix, expected, fix string) {
	p, fault, want := checkSource(e)
	switch fault {
	case sourceNotAddress:
		return p, sourceExpected, ""
	case sourceMapped:
		return p, fmt.Sprintf("IPv4 written as IPv4 (%q): IPv4 packets never carry a mapped address",
			formatPrefix(want)), ""
	case sourceHostBits:
		return p, "a prefix without host bits", want.String()
	}
	return p, "", ""
}

// elemRange points at the i-th of n elements of a list attribute written
// as a literal list, or at the whole value otherwise (a variable).
func elemRange(body hcl.Body, name string, i, n int) hcl.Range {
	if sb, ok := body.(*hclsyntax.Body); ok {
		if attr, ok := sb.Attributes[name]; ok {
			if tup, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && len(tup.Exprs) == n {
				return tup.Exprs[i].Range()
			}
		}
	}
	return module.AttrRange(body, name)
}
