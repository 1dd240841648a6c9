package sshd

import (
	"context"
	"slices"
	"testing"
)

// The state LivePorts read serves the engine's next Read once (one sshd -T
// per plan), and only once: the re-read after apply must be fresh.
func TestLivePortsHandsItsReadToTheNextReadOnce(t *testing.T) {
	h, _ := newRoot(t, stockFiles(t))
	m := New()
	ports, err := m.LivePorts(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ports, []int{22}) {
		t.Errorf("live ports = %v, want [22]", ports)
	}
	ahead := m.readAhead
	first, _ := m.Read(context.Background(), h)
	second, _ := m.Read(context.Background(), h)
	if first != ahead || second == ahead {
		t.Errorf("first read reused the read-ahead: %v; second read fresh: %v", first == ahead, second != ahead)
	}
}

func TestHoldKeepsTheOldPortInTheRewrite(t *testing.T) {
	h, _ := newRoot(t, stockFiles(t))
	m := New()
	if d := decodeSrc(t, m, "sshd {\n port = 2222\n}\n"); d != "" {
		t.Fatal(d)
	}
	m.HoldSSHPorts([]int{22, 2222})
	if !slices.Equal(m.Ports(), []int{2222, 22}) {
		t.Fatalf("ports = %v, want [2222 22]", m.Ports())
	}
	p := mustPlan(t, m, readState(t, m, h))
	if len(p.Notes) == 0 || !slices.ContainsFunc(p.Notes, func(n string) bool { return n[:20] == "two-phase port move:" }) {
		t.Errorf("no two-phase note: %q", p.Notes)
	}
	for _, c := range p.Changes {
		if c.Address == "sshd.setting[Port]" && c.Fields[0].After != "2222 22" {
			t.Errorf("Port after = %q, want \"2222 22\"", c.Fields[0].After)
		}
	}
}
