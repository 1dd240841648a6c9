package sshd

import (
	"context"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/internal/dpkg"
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

// BenchmarkDetectOpenSSH finds the installed release in this machine's
// own package database (megabytes on a full system): the cost a plan pays
// instead of running ssh -Q.
func BenchmarkDetectOpenSSH(b *testing.B) {
	h := host.New(host.Options{Root: "/", Systemd: &hosttest.Systemd{}})
	if !h.Exists(dpkg.StatusPath) {
		b.Skip("no package database here")
	}
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		if o := m.detectOpenSSH(context.Background(), h); o.rel == nil {
			b.Fatal("no release")
		}
	}
}

// BenchmarkAudit judges a read state (the stock image after one apply):
// the part of `harden audit` beyond reading the machine.
func BenchmarkAudit(b *testing.B) {
	h, _ := newRoot(b, stockFiles(b))
	m := New()
	m.validator = (&recordingValidator{}).check
	if err := m.Apply(context.Background(), h, mustPlan(b, m, readState(b, m, h))); err != nil {
		b.Fatal(err)
	}
	st := readState(b, m, h)
	b.ReportAllocs()
	for b.Loop() {
		if len(m.Audit(st)) == 0 {
			b.Fatal("no findings")
		}
	}
}
