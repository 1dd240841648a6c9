package vps

import (
	"context"
	"net"
	"syscall"
)

// ListenHost listens on a free TCP port of the host's end of the machine's
// link (m.HostAddr), the one host address only this machine reaches; never
// on all addresses. It works from Options.Prepare, before the link exists:
// the socket is bound with IP_FREEBIND and accepts connections as soon as
// Boot has put the address on the link, so a document written into the
// tree before boot can name a URL the first boot fetches. The listener is
// closed when the test ends.
func (m *Machine) ListenHost() (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_FREEBIND, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp4", net.JoinHostPort(m.HostAddr, "0"))
	if err != nil {
		return nil, err
	}
	m.t.Cleanup(func() { ln.Close() })
	return ln, nil
}
