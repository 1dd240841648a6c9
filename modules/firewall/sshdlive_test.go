package firewall

import (
	"strings"
	"testing"
)

// Whatever the targets, the firewall keeps open every port sshd listens
// on until sshd itself moves off it: only an sshd block that manages the
// port and takes part in the run moves sshd (two-phase, HoldSSHPorts).
func TestPlanKeepsThePortsSSHDListensOn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string
		sshd     []int // the sshd block's ports; nil: no sshd block
		leftOut  bool  // -target left the sshd block out of the run
		live     []int // the ports sshd listens on now
		open     []int
		closed   []int
		noteHeld string // "" when nothing is held
	}{
		{name: "-target firewall from a console", src: "firewall {}", sshd: []int{2222}, leftOut: true,
			live: []int{22}, open: []int{22, 2222}, noteHeld: "22"},
		{name: "no sshd block, the firewall's own ssh_ports", src: "firewall {\n  ssh_ports = [2222]\n}",
			live: []int{22}, open: []int{22, 2222}, noteHeld: "22"},
		{name: "sshd on both ports", src: "firewall {\n  ssh_ports = [2222]\n}",
			live: []int{22, 2222}, open: []int{22, 2222}, noteHeld: "22"},
		{name: "sshd in the run moves itself", src: "firewall {}", sshd: []int{2222},
			live: []int{22}, open: []int{2222}, closed: []int{22}},
		{name: "sshd already moved", src: "firewall {}", sshd: []int{2222}, leftOut: true,
			live: []int{2222}, open: []int{2222}, closed: []int{22}},
		{name: "sshd not running", src: "firewall {\n  ssh_ports = [2222]\n}",
			open: []int{2222}, closed: []int{22}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := decodedWith(t, tc.src, tc.sshd)
			if tc.leftOut {
				m.LeftOut([]string{"user.iri", "sshd"})
			}
			st := converged(m)
			st.SSHDPorts = tc.live
			p, err := m.Plan(st)
			if err != nil {
				t.Fatal(err)
			}
			desired, _ := m.desired(st)
			for _, port := range tc.open {
				if !desired.acceptsTCP(anySource, port) {
					t.Errorf("port %d closed, want open:\n%s", port, desired)
				}
			}
			for _, port := range tc.closed {
				if desired.acceptsTCP(anySource, port) {
					t.Errorf("port %d open, want closed", port)
				}
			}
			notes := strings.Join(p.Notes, "\n")
			if held := strings.Contains(notes, "sshd listens on"); held != (tc.noteHeld != "") ||
				(held && !strings.Contains(notes, "sshd listens on "+tc.noteHeld+" ")) {
				t.Errorf("notes %q, want one holding %q", p.Notes, tc.noteHeld)
			}
		})
	}
}
