package attack

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Netns is a throwaway network namespace with loopback up: clients there
// can call from addresses the host does not have (several IPv6 /64s), and
// nothing they do reaches the host's network. Needs root and iproute2.
type Netns struct {
	Name string
	f    *os.File
}

var netnsSeq atomic.Int32

// NewNetns creates the namespace; Close removes it.
func NewNetns() (*Netns, error) {
	name := fmt.Sprintf("harden-attack-%d-%d", os.Getpid(), netnsSeq.Add(1))
	if err := ip("netns", "add", name); err != nil {
		return nil, err
	}
	n := &Netns{Name: name}
	f, err := os.Open("/var/run/netns/" + name)
	if err != nil {
		n.Close()
		return nil, err
	}
	n.f = f
	if err := ip("-n", name, "link", "set", "lo", "up"); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// AddAddress puts an address (CIDR form) on the namespace's loopback.
func (n *Netns) AddAddress(cidr string) error {
	return ip("-n", n.Name, "addr", "add", cidr, "dev", "lo", "nodad")
}

// Do runs f on an OS thread moved into the namespace: sockets f opens stay
// there. The thread is dropped afterwards (never unlocked).
func (n *Netns) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(n.f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Close removes the namespace.
func (n *Netns) Close() error {
	if n.f != nil {
		n.f.Close()
	}
	return ip("netns", "del", n.Name)
}

// command wraps a command so it runs inside the namespace (n may be nil:
// the host's).
func (n *Netns) command(name string, args ...string) (string, []string) {
	if n == nil {
		return name, args
	}
	return "ip", append([]string{"netns", "exec", n.Name, name}, args...)
}

// Dial opens a TCP connection from src (nil: any) inside the namespace
// (n may be nil: the host's).
func (n *Netns) Dial(ctx context.Context, src net.IP, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	if n == nil {
		return d.DialContext(ctx, "tcp", addr)
	}
	var c net.Conn
	err := n.Do(func() (err error) {
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

func ip(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
