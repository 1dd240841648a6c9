//go:build system

package system

import (
	"sort"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Socket-activated sshd (Ubuntu's default layout, here Debian 13 with
// ssh.service disabled and ssh.socket enabled): systemd holds the listening
// socket, so the port moves with the socket's ListenStream=, through both
// phases of the move, while ssh.service (started by the operator's own
// login) holds the old socket. A later drop-in that changes ListenStream=
// is drift. Reboots and the boot-time rollback on this layout are the node
// scenarios' (integration/nodes), which run on every release.
func TestSocketActivatedPortMove(t *testing.T) {
	for _, rel := range vps.Releases() {
		if !rel.SocketSSH {
			continue
		}
		t.Run(rel.Name, func(t *testing.T) {
			t.Parallel()
			m := vps.Boot(t, vps.Options{Release: rel})
			writeProfile(t, m, movedSSH)
			m.MustShell("systemctl is-enabled ssh.socket && ! systemctl is-enabled ssh.service")

			r := harden(m, "plan -detailed-exitcode -profile "+profilePath, 2)
			for _, want := range []string{"sshd.file[" + socketDropIn + "]", "ListenStream"} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("plan does not mention %s:\n%s", want, r)
				}
			}

			// Phase 1: the apply runs in a session that sshd, started by
			// the socket, serves: the socket listens on both ports.
			harden(m, "apply -auto-approve -profile "+profilePath)
			for _, port := range []int{22, newPort} {
				if err := m.WaitSSH(port, 10*time.Second); err != nil {
					t.Fatalf("phase 1: port %d: %v\n%s", port, err, m.Journal("ssh.socket", 20))
				}
			}
			checkSocket(t, m, "22", itoa(newPort))

			// Phase 2: confirm from a new session on the new port.
			m.Port = newPort
			harden(m, "confirm")
			if err := m.WaitClosed(22, 10*time.Second); err != nil {
				t.Errorf("after confirm: %v", err)
			}
			checkSocket(t, m, itoa(newPort))
			m.Expect(m.SSH(vps.DeployUser, newPort, "true"))
			harden(m, "plan -detailed-exitcode -profile "+profilePath, 0)

			// Drift: someone moves the socket to another port behind
			// harden's back (systemd reads it at the next restart or boot).
			move := func(from, to string) {
				m.MustShell("sed -i 's/^ListenStream=" + from + "$/ListenStream=" + to + "/' " + socketDropIn +
					" && grep -q '^ListenStream=" + to + "$' " + socketDropIn + " && systemctl daemon-reload")
			}
			move(itoa(newPort), "2022")
			d := harden(m, "drift -profile "+profilePath, 2)
			if !strings.Contains(d.Stdout+d.Stderr, socketDropIn) {
				t.Errorf("drift does not name the socket's ListenStream change:\n%s", d)
			}
			move("2022", itoa(newPort))
			harden(m, "drift -profile "+profilePath, 0)

			// Rolling back the confirm and the apply puts the socket back
			// on 22 alone.
			harden(m, "rollback")
			if err := m.WaitSSH(22, 10*time.Second); err != nil {
				t.Fatalf("port 22 after rolling back the confirm: %v", err)
			}
			m.Port = 22
			harden(m, "rollback")
			if err := m.WaitClosed(newPort, 10*time.Second); err != nil {
				t.Errorf("after rolling back the apply: %v", err)
			}
			checkSocket(t, m, "22")
			m.MustShell("systemctl is-enabled ssh.socket && ! systemctl is-enabled ssh.service")

			// A change that moves no port restarts ssh.service on the same
			// socket: a reload (SIGHUP) would kill the socket-activated sshd.
			writeProfile(t, m, "sshd {\n  port = 22\n  log_level = \"INFO\"\n}\n")
			harden(m, "apply -auto-approve -profile "+profilePath)
			harden(m, "confirm")
			checkSocket(t, m, "22")
			m.MustShell("sshd -T | grep -qx 'loglevel INFO'")
		})
	}
}

// socketDropIn is harden's ListenStream= drop-in for ssh.socket.
const socketDropIn = "/etc/systemd/system/ssh.socket.d/harden-listen.conf"

// checkSocket asserts ssh.socket is active and listens on exactly ports,
// and that ssh.service, which holds its sockets, runs.
func checkSocket(t *testing.T, m *vps.Machine, ports ...string) {
	t.Helper()
	r := m.MustShell("systemctl is-active ssh.socket ssh.service; systemctl show -p Listen --value ssh.socket")
	lines := strings.Fields(r.Stdout)
	if len(lines) < 2 || lines[0] != "active" || lines[1] != "active" {
		t.Fatalf("ssh.socket and ssh.service should be active:\n%s", r)
	}
	var got []string
	for _, l := range lines[2:] {
		if i := strings.LastIndex(l, ":"); i >= 0 && !strings.HasPrefix(l, "(") {
			got = append(got, l[i+1:])
		}
	}
	sort.Strings(got)
	sort.Strings(ports)
	if strings.Join(got, " ") != strings.Join(ports, " ") {
		t.Errorf("ssh.socket listens on %v, want %v\n%s", got, ports, r)
	}
}
