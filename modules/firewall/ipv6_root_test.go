//go:build root

package firewall

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// What IPv6 needs from the network gets through harden's table, with real
// packets between two namespaces: DHCPv6 replies (from a link-local
// server port 547 to the client's port 546; the request went to a
// multicast address, so the reply is no established connection) and
// router advertisements (SLAAC gives the host its address).
func TestRootIPv6ConfigurationPasses(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	_, addr6 := vethPair(t, a, b)
	va, vb := fmt.Sprintf("fwa%d", os.Getpid()), fmt.Sprintf("fwb%d", os.Getpid())
	run(t, "ip", "-n", a.name, "addr", "add", "fe80::a/64", "dev", va, "nodad")
	run(t, "ip", "-n", b.name, "addr", "add", "fe80::b/64", "dev", vb, "nodad")
	applyProfile(t, New(), a, "firewall {}", "")

	client := udpListener(t, a, 546)
	t.Run("DHCPv6 reply from a link-local server", func(t *testing.T) {
		sendUDP(t, b, netip.MustParseAddrPort("[fe80::b%"+vb+"]:547"), netip.MustParseAddrPort("[fe80::a%"+vb+"]:546"))
		if !received(client, 2*time.Second) {
			t.Fatal("a DHCPv6 reply (fe80::b port 547 to port 546) was dropped")
		}
	})
	t.Run("not from a link-local source, not from port 547", func(t *testing.T) {
		global := hostOf(addr6, 2)
		sendUDP(t, b, netip.MustParseAddrPort("["+global+"]:547"), netip.MustParseAddrPort("["+addr6+"]:546"))
		sendUDP(t, b, netip.MustParseAddrPort("[fe80::b%"+vb+"]:5000"), netip.MustParseAddrPort("[fe80::a%"+vb+"]:546"))
		if received(client, time.Second) {
			t.Fatal("a datagram to port 546 that is no DHCPv6 reply got through")
		}
	})
	t.Run("router advertisement", func(t *testing.T) {
		sendRouterAdvert(t, b, vb, netip.MustParsePrefix("2001:db8:5a::/64"))
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if strings.Contains(run(t, "ip", "-n", a.name, "-6", "addr", "show", "dev", va), "inet6 2001:db8:5a:") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("no SLAAC address from the router advertisement: it was dropped")
			}
		}
	})
}

// udpListener binds a UDP socket to port on every address inside ns.
func udpListener(t *testing.T, ns *netns, port int) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	if err := ns.do(func() (err error) {
		c, err = net.ListenUDP("udp6", &net.UDPAddr{Port: port})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// received reports whether a datagram arrives within timeout.
func received(c *net.UDPConn, timeout time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(timeout))
	_, _, err := c.ReadFromUDPAddrPort(make([]byte, 64))
	return err == nil
}

// sendUDP sends one datagram from src (an address and port of ns) to dst.
func sendUDP(t *testing.T, ns *netns, src, dst netip.AddrPort) {
	t.Helper()
	if err := ns.do(func() error {
		c, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(src))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WriteToUDPAddrPort([]byte("reply"), dst)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// sendRouterAdvert multicasts a router advertisement from fe80::b on dev
// in ns, announcing prefix for SLAAC (hop limit 255, as RFC 4861 wants).
func sendRouterAdvert(t *testing.T, ns *netns, dev string, prefix netip.Prefix) {
	t.Helper()
	ra := []byte{
		134, 0, 0, 0, // type, code, checksum (the kernel computes it)
		64, 0, 0x07, 0x08, // hop limit, flags, router lifetime 1800 s
		0, 0, 0, 0, 0, 0, 0, 0, // reachable time, retransmission timer
		3, 4, byte(prefix.Bits()), 0xc0, // prefix information: on-link, autonomous
		0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10, // valid and preferred lifetime 3600 s
		0, 0, 0, 0,
	}
	ra = append(ra, prefix.Addr().AsSlice()...)
	if err := ns.do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		src := &unix.SockaddrInet6{Addr: netip.MustParseAddr("fe80::b").As16(), ZoneId: uint32(ifi.Index)}
		if err := unix.Bind(fd, src); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index); err != nil {
			return err
		}
		allNodes := &unix.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(ifi.Index)}
		return unix.Sendto(fd, ra, 0, allNodes)
	}); err != nil {
		t.Fatal(err)
	}
}
