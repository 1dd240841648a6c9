package vps

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// EchoUDP sends a datagram to port on the machine from the host and
// reports whether the same datagram came back (a UDP service that echoes,
// such as the iota stand-in's peer-to-peer port, behind the firewall).
func (m *Machine) EchoUDP(port int) error {
	c, err := net.Dial("udp", net.JoinHostPort(m.Addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		return fmt.Errorf("no echo from UDP %d: %q %v", port, buf[:n], err)
	}
	return nil
}
