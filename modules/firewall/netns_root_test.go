//go:build root

package firewall

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// A throwaway network namespace, removed at cleanup. Addresses live only
// inside the namespaces the test creates.
type netns struct {
	name string
	fd   int
}

var nsSeq atomic.Int32

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("root tier: needs root (network namespaces, nftables)")
	}
	for _, bin := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("root tier: %s not installed (apt-get install iproute2 nftables)", bin)
		}
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNetns creates fw-test-<pid>-<suffix><n> with loopback up.
func newNetns(t testing.TB, suffix string) *netns {
	t.Helper()
	name := fmt.Sprintf("fw-test-%d-%s%d", os.Getpid(), suffix, nsSeq.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/var/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return &netns{name: name, fd: int(f.Fd())}
}

// conn reaches nftables inside the namespace.
func (n *netns) conn(opts ...nftables.ConnOption) (*nftables.Conn, error) {
	return nftables.New(append(opts, nftables.WithNetNSFd(n.fd))...)
}

// do runs f on an OS thread moved into the namespace; sockets f opens stay
// in the namespace. The thread is discarded afterwards (never unlocked).
func (n *netns) do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", n.name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// vethPair joins a and b with a veth pair: a gets 10.254.X.1/24 and
// fd00:fe:X::1/64, b .2 and ::2. It returns a's addresses.
func vethPair(t *testing.T, a, b *netns) (addrA, addr6A string) {
	t.Helper()
	x := os.Getpid()%200 + 20
	va, vb := fmt.Sprintf("fwa%d", os.Getpid()), fmt.Sprintf("fwb%d", os.Getpid())
	run(t, "ip", "link", "add", va, "netns", a.name, "type", "veth", "peer", "name", vb, "netns", b.name)
	run(t, "ip", "-n", a.name, "addr", "add", fmt.Sprintf("10.254.%d.1/24", x), "dev", va)
	run(t, "ip", "-n", b.name, "addr", "add", fmt.Sprintf("10.254.%d.2/24", x), "dev", vb)
	// nodad: usable at once; neighbour discovery still has to pass the
	// firewall for any IPv6 packet to get through.
	run(t, "ip", "-n", a.name, "addr", "add", fmt.Sprintf("fd00:fe:%d::1/64", x), "dev", va, "nodad")
	run(t, "ip", "-n", b.name, "addr", "add", fmt.Sprintf("fd00:fe:%d::2/64", x), "dev", vb, "nodad")
	run(t, "ip", "-n", a.name, "link", "set", va, "up")
	run(t, "ip", "-n", b.name, "link", "set", vb, "up")
	return fmt.Sprintf("10.254.%d.1", x), fmt.Sprintf("fd00:fe:%d::1", x)
}

// listeners accepts TCP connections on each port inside ns and holds each
// open until the client closes it (or cleanup), so per-source connection
// counts are real.
type listeners struct {
	mu    sync.Mutex
	conns []net.Conn
	ls    []net.Listener
}

func listen(t *testing.T, ns *netns, ports ...int) {
	t.Helper()
	l := &listeners{}
	for _, p := range ports {
		var ln net.Listener
		err := ns.do(func() (err error) {
			ln, err = net.Listen("tcp", fmt.Sprintf(":%d", p))
			return err
		})
		if err != nil {
			t.Fatalf("listen on %d in %s: %v", p, ns.name, err)
		}
		l.ls = append(l.ls, ln)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				l.mu.Lock()
				l.conns = append(l.conns, c)
				l.mu.Unlock()
				go func() {
					io.Copy(io.Discard, c)
					c.Close()
				}()
			}
		}()
	}
	t.Cleanup(func() {
		for _, ln := range l.ls {
			ln.Close()
		}
		l.mu.Lock()
		for _, c := range l.conns {
			c.Close()
		}
		l.mu.Unlock()
	})
}

// dial opens a TCP connection from ns; the caller closes it.
func dial(ns *netns, addr string, port int, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.do(func() (err error) {
		c, err = net.DialTimeout("tcp", net.JoinHostPort(addr, fmt.Sprint(port)), timeout)
		return err
	})
	return c, err
}

// udpEcho answers one datagram at a time on port inside ns until cleanup.
func udpEcho(t *testing.T, ns *netns, port int) {
	t.Helper()
	var pc net.PacketConn
	if err := ns.do(func() (err error) {
		pc, err = net.ListenPacket("udp", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
}

// udpRoundTrip sends one datagram from ns and waits for the echo.
func udpRoundTrip(ns *netns, addr string, port int) error {
	return ns.do(func() error {
		c, err := net.Dial("udp", net.JoinHostPort(addr, fmt.Sprint(port)))
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 8)
		_, err = c.Read(buf)
		return err
	})
}
