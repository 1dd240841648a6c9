package firewall

import (
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// batch.go: the one netlink batch that replaces harden's table, and the
// socket that carries it.

// addTable queues, on c, the messages that replace the table t in one
// transaction: add (a no-op if it exists), delete, add with everything in
// it. The caller's Flush sends them as a single batch: all or nothing.
func addTable(c *nftables.Conn, t *Table) error {
	fam, ok := families[t.Family]
	if !ok {
		return fmt.Errorf("table family %q", t.Family)
	}
	nt := &nftables.Table{Family: fam, Name: t.Name}
	c.AddTable(nt)
	c.DelTable(nt)
	c.AddTable(nt)
	refs := &setRefs{c: c, table: nt, ids: map[string]uint32{}}
	for _, s := range t.Sets {
		if err := addSet(c, nt, s, refs); err != nil {
			return fmt.Errorf("set %s: %w", s.Name, err)
		}
	}
	for _, ch := range t.Chains {
		nc := &nftables.Chain{Table: nt, Name: ch.Name}
		if ch.Hook != "" {
			hook, ok := hooks[ch.Hook]
			if !ok {
				return fmt.Errorf("chain %s: hook %q", ch.Name, ch.Hook)
			}
			prio := nftables.ChainPriority(ch.Priority)
			policy := nftables.ChainPolicyAccept
			if ch.Policy == "drop" {
				policy = nftables.ChainPolicyDrop
			}
			nc.Hooknum, nc.Priority, nc.Type, nc.Policy = hook, &prio, nftables.ChainType(ch.Type), &policy
		}
		c.AddChain(nc)
		for _, r := range ch.Rules {
			exprs, err := compileRule(r, refs)
			if err != nil {
				return fmt.Errorf("chain %s: %w", ch.Name, err)
			}
			c.AddRule(&nftables.Rule{Table: nt, Chain: nc, Exprs: exprs})
		}
	}
	return nil
}

// elementsPerMessage bounds the elements of one NEWSETELEM message: they
// travel in one attribute whose length field has 16 bits (an IPv6
// interval end takes 36 bytes). The messages still go in the one batch.
const elementsPerMessage = 1024

// addSet queues a named set and its elements, in chunks.
func addSet(c *nftables.Conn, nt *nftables.Table, s Set, refs *setRefs) error {
	key, bits := nftables.TypeIPAddr, 32
	switch s.Type {
	case "ipv4_addr":
	case "ipv6_addr":
		key, bits = nftables.TypeIP6Addr, 128
	default:
		return fmt.Errorf("type %q not modelled", s.Type)
	}
	ns := &nftables.Set{Table: nt, Name: s.Name, KeyType: key, Dynamic: s.Dynamic, Interval: s.Interval,
		HasTimeout: s.Timeout != 0, Timeout: s.Timeout, Size: s.Size}
	for _, p := range s.Elements {
		if p.Addr().BitLen() != bits || (!s.Interval && !p.IsSingleIP()) {
			return fmt.Errorf("element %s does not fit a set of type %s without interval", p, s.Type)
		}
	}
	if err := c.AddSet(ns, nil); err != nil {
		return err
	}
	refs.ids[s.Name] = ns.ID
	elems := addrElements(s.Elements)
	if s.Interval {
		elems = intervalElements(s.Elements)
	}
	for chunk := range slices.Chunk(elems, elementsPerMessage) {
		if err := c.SetAddElements(ns, chunk); err != nil {
			return err
		}
	}
	return nil
}

// batchBytes is a generous estimate of the batch that loads t, for the
// socket's send buffer: the whole batch goes in one sendmsg, and the
// default buffer (net.core.wmem_default, about 200 KiB) is too small for
// sets of thousands of addresses.
func batchBytes(t *Table) int {
	n := 256 << 10
	for _, s := range t.Sets {
		n += 2 * 48 * len(s.Elements)
	}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			n += 1024
			for _, st := range r.Stmts {
				if ps, ok := st.(DportSet); ok {
					n += 16 * len(ps.Ports)
				}
			}
		}
	}
	return n
}

// batchSocket readies the netlink socket for one big batch, as nft does.
// The whole batch goes in one sendmsg: the send buffer must hold it. The
// kernel acknowledges every message before the first acknowledgement is
// read: the receive buffer must hold a thousand of them (each costs about
// a kilobyte of buffer), and they come without a copy of the request
// (NETLINK_CAP_ACK). The buffers are raised with SO_*BUFFORCE under
// CAP_NET_ADMIN, else up to net.core.wmem_max and rmem_max.
func batchSocket(bytes int) nftables.SockOption {
	return func(c *netlink.Conn) error {
		if err := c.SetOption(netlink.CapAcknowledge, true); err != nil {
			return err
		}
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var sndErr, rcvErr error
		if err := rc.Control(func(fd uintptr) {
			sndErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, bytes)
			rcvErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes)
		}); err != nil {
			return err
		}
		if sndErr != nil {
			if err := c.SetWriteBuffer(bytes); err != nil {
				return err
			}
		}
		if rcvErr != nil {
			return c.SetReadBuffer(bytes)
		}
		return nil
	}
}

// delTable queues the removal of a table that may or may not exist.
func delTable(c *nftables.Conn, family, name string) {
	nt := &nftables.Table{Family: families[family], Name: name}
	c.AddTable(nt)
	c.DelTable(nt)
}
