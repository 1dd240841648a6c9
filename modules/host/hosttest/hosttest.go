// Package hosttest builds Hosts for tests: a temp root with a journal, and a
// systemd stand-in that records jobs. The stand-in exists because the
// machines tests run on have no systemd as PID 1; the system tier (a booted
// Debian in integration/) exercises the real D-Bus path.
package hosttest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"harden/modules/host"
)

// Systemd records unit jobs and enablement instead of talking to systemd.
type Systemd struct {
	mu      sync.Mutex
	Jobs    []string // "reload ssh.service", "daemon-reload", "enable x"
	Enabled map[string]bool
	Props   map[string]any // "unit/Name" → value
}

func (s *Systemd) add(job string) {
	s.mu.Lock()
	s.Jobs = append(s.Jobs, job)
	s.mu.Unlock()
}

func (s *Systemd) Run(_ context.Context, op host.UnitOp, unit string) error {
	s.add(string(op) + " " + unit)
	return nil
}

func (s *Systemd) DaemonReload(context.Context) error { s.add("daemon-reload"); return nil }

func (s *Systemd) SetEnabled(_ context.Context, unit string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Enabled == nil {
		s.Enabled = map[string]bool{}
	}
	s.Enabled[unit] = enabled
	return nil
}

func (s *Systemd) IsEnabled(_ context.Context, unit string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Enabled[unit], nil
}

func (s *Systemd) Property(_ context.Context, unit, name string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.Props[unit+"/"+name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("no property %s of %s", name, unit)
}

// New returns a Host rooted at a fresh temp dir, with a journal attached
// (in its own temp dir) and the recording systemd.
func New(t testing.TB) (*host.Host, *Systemd) {
	t.Helper()
	return NewAt(t, t.TempDir())
}

// NewAt is New with a given root.
func NewAt(t testing.TB, root string) (*host.Host, *Systemd) {
	t.Helper()
	sd := &Systemd{}
	h := host.New(host.Options{Root: root, Logger: zaptest.NewLogger(t), Systemd: sd,
		Getenv: func(string) string { return "" }})
	j, err := host.CreateJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.Attach(j)
	return h, sd
}

// StartTimer records a transient timer instead of starting one.
func (s *Systemd) StartTimer(_ context.Context, timer, service string, after time.Duration, argv []string) error {
	s.add(fmt.Sprintf("timer %s %s after %s: %s", timer, service, after, strings.Join(argv, " ")))
	return nil
}
