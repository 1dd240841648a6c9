package firewall

import (
	"net/netip"
	"slices"

	"github.com/google/nftables"
)

// prefixes.go: address prefixes as the elements of interval sets. The
// model keeps a set's elements as sorted, disjoint prefixes; the kernel
// holds intervals (a start element and an end element one past the last
// address); nft prints prefixes. These helpers convert between the three.

// comparePrefix orders by family, then address, then shorter prefix first.
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// mergePrefixes returns the prefixes sorted, without duplicates and without
// the ones inside another (an interval set may not hold overlapping
// elements; the covering prefix already matches them).
func mergePrefixes(ps []netip.Prefix) []netip.Prefix {
	sorted := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		sorted[i] = p.Masked()
	}
	slices.SortFunc(sorted, comparePrefix)
	out := sorted[:0]
	for _, p := range sorted {
		// Two prefixes are nested or disjoint. Sorted by start, shorter
		// first, a prefix overlapping the last one kept lies inside it.
		if n := len(out); n > 0 && out[n-1].Overlaps(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// splitFamilies separates IPv4 from IPv6 prefixes, keeping the order.
func splitFamilies(ps []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}

// containing returns the first prefix holding a.
func containing(ps []netip.Prefix, a netip.Addr) (netip.Prefix, bool) {
	for _, p := range ps {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr is the highest address inside p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// rangePrefixes covers the addresses first..last (inclusive) with the
// fewest prefixes, in order: what an interval the kernel holds reads as.
func rangePrefixes(first, last netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for first.IsValid() && first.Compare(last) <= 0 {
		// The largest block that starts at first and ends by last.
		bits := first.BitLen()
		for b := 0; b <= first.BitLen(); b++ {
			p := netip.PrefixFrom(first, b)
			if p.Masked().Addr() == first && lastAddr(p).Compare(last) <= 0 {
				bits = b
				break
			}
		}
		p := netip.PrefixFrom(first, bits)
		out = append(out, p)
		first = lastAddr(p).Next() // invalid past the last address: done
	}
	return out
}

// intervalElements are the kernel elements of an interval set holding ps
// (sorted, disjoint): the start of each prefix and, unless it runs to the
// end of the address space, an end element one past its last address.
func intervalElements(ps []netip.Prefix) []nftables.SetElement {
	out := make([]nftables.SetElement, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, nftables.SetElement{Key: p.Addr().AsSlice()})
		if end := lastAddr(p).Next(); end.IsValid() {
			out = append(out, nftables.SetElement{Key: end.AsSlice(), IntervalEnd: true})
		}
	}
	return out
}

// addrElements are the elements of a plain (non-interval) set: single
// addresses only.
func addrElements(ps []netip.Prefix) []nftables.SetElement {
	out := make([]nftables.SetElement, len(ps))
	for i, p := range ps {
		out[i] = nftables.SetElement{Key: p.Addr().AsSlice()}
	}
	return out
}

// prefixesOfAddrs reads a plain set's elements as single-address prefixes.
func prefixesOfAddrs(elems []nftables.SetElement) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range elems {
		if a, ok := netip.AddrFromSlice(e.Key); ok {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	slices.SortFunc(out, comparePrefix)
	return out
}

// prefixesOfIntervals reads interval set elements (in any order, as the
// kernel dumps them) back into sorted prefixes. An end element with no
// start before it (nft adds one at address 0) closes nothing.
func prefixesOfIntervals(elems []nftables.SetElement) []netip.Prefix {
	type bound struct {
		addr netip.Addr
		end  bool
	}
	bounds := make([]bound, 0, len(elems))
	for _, e := range elems {
		if a, ok := netip.AddrFromSlice(e.Key); ok {
			bounds = append(bounds, bound{a, e.IntervalEnd})
		}
	}
	// At the same address an end (closing the interval before) sorts
	// before a start (opening the next one).
	slices.SortFunc(bounds, func(x, y bound) int {
		if c := x.addr.Compare(y.addr); c != 0 {
			return c
		}
		switch {
		case x.end == y.end:
			return 0
		case x.end:
			return -1
		}
		return 1
	})
	var out []netip.Prefix
	var open netip.Addr
	for _, b := range bounds {
		switch {
		case !b.end && !open.IsValid():
			open = b.addr
		case b.end && open.IsValid():
			out = append(out, rangePrefixes(open, b.addr.Prev())...)
			open = netip.Addr{}
		}
	}
	if open.IsValid() {
		all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if open.Is6() {
			all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		out = append(out, rangePrefixes(open, lastAddr(all))...)
	}
	return out
}
