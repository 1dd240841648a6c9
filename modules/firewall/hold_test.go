package firewall

import (
	"slices"
	"strings"
	"testing"
)

func TestHoldSSHPortsOpensBothPorts(t *testing.T) {
	m := New()
	m.cfg.SSHPorts = []int{2222}
	m.HoldSSHPorts([]int{22, 2222})
	if !slices.Equal(m.cfg.SSHPorts, []int{2222, 22}) {
		t.Fatalf("ssh ports = %v, want [2222 22]", m.cfg.SSHPorts)
	}
	text := Build(m.cfg).String()
	for _, port := range []string{"22", "2222"} {
		if !strings.Contains(text, "tcp dport "+port+" accept") {
			t.Errorf("ruleset does not accept port %s:\n%s", port, text)
		}
	}
}
