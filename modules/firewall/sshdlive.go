package firewall

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"harden/modules/host"
	"harden/modules/internal/procnet"
)

// socketUnit is ssh.socket: under socket activation systemd, not sshd,
// holds the listening socket until the first connection.
const socketUnit = "ssh.socket"

// liveSSHDPorts are the TCP ports sshd listens on now in the network
// namespace netns: the listening sockets sshd processes there hold (the
// kernel's listen table, matched by socket inode), and ssh.socket's
// listen addresses while it is active.
func liveSSHDPorts(ctx context.Context, h *host.Host, netns string) ([]int, error) {
	ports, err := procnet.ListeningTCPOf(os.DirFS(h.Path("/proc")), "sshd", netns)
	if err != nil {
		return nil, fmt.Errorf("firewall: sshd's listening sockets: %w", err)
	}
	for _, p := range socketPorts(ctx, h) {
		ports[p] = true
	}
	return slices.Sorted(maps.Keys(ports)), nil
}

// socketPorts are the TCP ports of ssh.socket while it is active; none
// when there is no such unit or no service manager to ask.
func socketPorts(ctx context.Context, h *host.Host) []int {
	state, err := h.Systemd().Property(ctx, socketUnit, "ActiveState")
	if err != nil || state != "active" {
		return nil
	}
	listen, err := h.Systemd().Property(ctx, socketUnit, "Listen")
	if err != nil {
		return nil
	}
	// Listen is a(ss): ("Stream", "[::]:22") pairs.
	pairs, _ := listen.([][]any)
	var out []int
	for _, pair := range pairs {
		if len(pair) != 2 || pair[0] != "Stream" {
			continue
		}
		addr, _ := pair[1].(string)
		if n, err := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:]); err == nil && n > 0 && n < 65536 {
			out = append(out, n)
		}
	}
	return out
}

// heldForSSHD are the ports sshd listens on that the firewall's SSH ports
// lack, and which sshd does not leave in this run: an sshd block that
// manages the port and takes part in the run moves sshd itself (the
// two-phase move holds the old port meanwhile); otherwise sshd stays where
// it is and so must its ports, whatever the targets.
func (m *Module) heldForSSHD(live []int) []int {
	if m.sshdMoves {
		return nil
	}
	var held []int
	for _, p := range live {
		if !slices.Contains(m.cfg.SSHPorts, p) {
			held = append(held, p)
		}
	}
	return held
}

// heldNote explains ports kept open for sshd.
func (m *Module) heldNote(held []int) string {
	ports := make([]string, len(held))
	for i, p := range held {
		ports[i] = strconv.Itoa(p)
	}
	return fmt.Sprintf("sshd listens on %s now (read from the kernel): the firewall keeps it open beside the SSH "+
		"ports %v until sshd has moved off it (an apply that includes the sshd block moves sshd)",
		strings.Join(ports, ", "), m.cfg.SSHPorts)
}

// LeftOut hears which peers -target left out of the run: without the
// sshd block, sshd does not move in this run.
func (m *Module) LeftOut(names []string) {
	if slices.Contains(names, "sshd") {
		m.sshdMoves = false
	}
}
