package vps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Standalone runs body outside `go test` (a program such as the demo that
// `make run` starts) with a testing.TB of its own, so the harness serves it
// as it serves tests: Boot, Sudo, Expect. Logs go to logf. A Fatal or Skip
// in body ends body at once, as in a test; the cleanups (the machine's
// shutdown, its tree's removal) then run in reverse order, as in a test.
// The error says why body failed or was skipped (nil if it did neither).
func Standalone(name string, logf func(format string, args ...any), body func(t testing.TB)) error {
	s := &standaloneTB{name: name, logf: logf}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.runCleanups()
		body(s)
	}()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failed:
		return errors.New(name + " failed: " + strings.Join(s.errors, "; "))
	case s.skipped != "":
		return errors.New(name + " cannot run here: " + s.skipped)
	}
	return nil
}

// standaloneTB is testing.TB outside a test. The embedded interface is nil:
// it only carries testing.TB's unexported method; every method the harness
// may call is defined below.
type standaloneTB struct {
	testing.TB
	name string
	logf func(format string, args ...any)

	mu       sync.Mutex
	failed   bool
	skipped  string
	errors   []string
	cleanups []func()
}

func (s *standaloneTB) Name() string             { return s.name }
func (s *standaloneTB) Helper()                  {}
func (s *standaloneTB) Context() context.Context { return context.Background() }
func (s *standaloneTB) Log(args ...any)          { s.logf("%s", fmt.Sprintln(args...)) }
func (s *standaloneTB) Logf(f string, a ...any)  { s.logf(f, a...) }
func (s *standaloneTB) Error(args ...any)        { s.fail(fmt.Sprint(args...)) }
func (s *standaloneTB) Errorf(f string, a ...any) {
	s.fail(fmt.Sprintf(f, a...))
}
func (s *standaloneTB) Fatal(args ...any)         { s.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (s *standaloneTB) Fatalf(f string, a ...any) { s.fail(fmt.Sprintf(f, a...)); runtime.Goexit() }
func (s *standaloneTB) Fail()                     { s.fail("") }
func (s *standaloneTB) FailNow()                  { s.fail(""); runtime.Goexit() }
func (s *standaloneTB) Skip(args ...any)          { s.skip(fmt.Sprint(args...)) }
func (s *standaloneTB) Skipf(f string, a ...any)  { s.skip(fmt.Sprintf(f, a...)) }
func (s *standaloneTB) SkipNow()                  { s.skip("skipped") }

func (s *standaloneTB) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

func (s *standaloneTB) Skipped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped != ""
}

func (s *standaloneTB) fail(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = true
	if msg != "" {
		s.errors = append(s.errors, msg)
		s.logf("%s", msg)
	}
}

func (s *standaloneTB) skip(reason string) {
	s.mu.Lock()
	s.skipped = reason
	s.mu.Unlock()
	runtime.Goexit()
}

func (s *standaloneTB) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// TempDir is a fresh directory, removed with the cleanups.
func (s *standaloneTB) TempDir() string {
	dir, err := os.MkdirTemp("", "harden-"+s.name+"-")
	if err != nil {
		s.Fatalf("TempDir: %v", err)
	}
	s.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Setenv sets an environment variable until the cleanups run.
func (s *standaloneTB) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		s.Fatalf("Setenv: %v", err)
	}
	s.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}

// runCleanups runs the cleanups last registered first; a cleanup that
// fails (Fatal) does not stop the others.
func (s *standaloneTB) runCleanups() {
	for {
		s.mu.Lock()
		if len(s.cleanups) == 0 {
			s.mu.Unlock()
			return
		}
		f := s.cleanups[len(s.cleanups)-1]
		s.cleanups = s.cleanups[:len(s.cleanups)-1]
		s.mu.Unlock()
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		<-done
	}
}
