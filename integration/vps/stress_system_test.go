//go:build system

package vps_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"harden/integration/vps"
)

// cgroupExit is systemd's exit status 219/CGROUP: a transient unit's
// process could not be put into its cgroup, so the command never ran.
const cgroupExit = 219

// TestStressParallelBoots boots HARDEN_TEST_STRESS machines per release,
// as many at once as the harness allows (HARDEN_TEST_PARALLEL, default 2),
// and counts what machines sharing one cgroup tree were seen to suffer:
// boots that did not come up, boots that came up "degraded" (a unit such
// as systemd-user-sessions or systemd-sysusers failed), commands that died
// with 219/CGROUP, operator logins sshd refused. Every one is a failure.
// Machines start in step (startLine), so boots overlap as tightly as two
// scenarios beginning at once make them. Opt-in (HARDEN_TEST_STRESS=20):
// it proves the harness, not harden.
func TestStressParallelBoots(t *testing.T) {
	boots, _ := strconv.Atoi(os.Getenv("HARDEN_TEST_STRESS"))
	if boots <= 0 {
		t.Skip("the boot stress run is opt-in: HARDEN_TEST_STRESS=20")
	}
	vps.Require(t)
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		var notUp, degraded, cgroupExits, refused atomic.Int32
		var line startLine
		t.Run("boots", func(t *testing.T) {
			for i := range boots {
				t.Run(strconv.Itoa(i+1), func(t *testing.T) {
					t.Parallel()
					up := false
					defer func() {
						if !up {
							notUp.Add(1)
						}
					}()
					m := vps.Boot(t, vps.Options{NoHarden: true, Release: rel, Prepare: func(*vps.Machine) error {
						line.wait(vps.Parallel(), 30*time.Second)
						return nil
					}})
					up = true
					if len(m.BootFailed) > 0 {
						degraded.Add(1)
						t.Errorf("booted degraded: %s", strings.Join(m.BootFailed, " "))
					}
					// Transient units, as every harness command makes them.
					for range 5 {
						if r := m.Exec("true"); r.Exit == cgroupExit {
							cgroupExits.Add(1)
							t.Errorf("a command died with 219/CGROUP:\n%s", r)
						}
					}
					if r := m.Sudo("true"); !r.OK() {
						refused.Add(1)
						t.Errorf("the operator's login failed:\n%s", r)
					}
				})
			}
		})
		summary := fmt.Sprintf("%s: %d boots, %d at a time: %d did not come up, %d degraded, "+
			"%d commands died with 219/CGROUP, %d logins failed", rel, boots, vps.Parallel(),
			notUp.Load(), degraded.Load(), cgroupExits.Load(), refused.Load())
		t.Log(summary)
		fmt.Println("stress:", summary) // the figures, also without -v
	})
}

// startLine holds machines until n of them are ready to start, then lets
// them all go; one that waits longer than the limit goes alone.
type startLine struct {
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (s *startLine) wait(n int, limit time.Duration) {
	s.mu.Lock()
	if s.release == nil {
		s.release = make(chan struct{})
	}
	start := s.release
	if s.waiting++; s.waiting == n {
		close(start)
		s.release, s.waiting = nil, 0
	}
	s.mu.Unlock()
	select {
	case <-start:
	case <-time.After(limit):
		s.mu.Lock()
		if s.release == start {
			s.waiting--
		}
		s.mu.Unlock()
	}
}
