package sshd

import (
	"context"
	"testing"
)

// BenchmarkPlanConverged plans a machine that is already hardened (the
// stock cloud image after one apply): the common `harden plan` case.
func BenchmarkPlanConverged(b *testing.B) {
	h, _ := newRoot(b, stockFiles(b))
	m := New()
	m.validator = (&recordingValidator{}).check
	st := readState(b, m, h)
	p, _ := m.Plan(st)
	if err := m.Apply(context.Background(), h, p); err != nil {
		b.Fatal(err)
	}
	st = readState(b, m, h)
	b.ReportAllocs()
	for b.Loop() {
		p, err := m.Plan(st)
		if err != nil || !p.Empty() {
			b.Fatalf("plan not empty: %v", err)
		}
	}
}
