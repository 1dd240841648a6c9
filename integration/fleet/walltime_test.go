//go:build system

package fleet

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// wallTimeRounds is how many plays of each size the measurement runs.
const wallTimeRounds = 3

// TestFleetWallTime measures the play's wall time for one host against
// three, every host reachable, each play on fresh machines (boot not
// counted), sizes alternating so the machine's other load falls on both.
// It prints medians and never fails on a time; it fails only when a play
// does not confirm every host. HARDEN_PERF=1 only (make bench).
func TestFleetWallTime(t *testing.T) {
	if os.Getenv("HARDEN_PERF") != "1" {
		t.Skip("the fleet wall-time measurement runs with HARDEN_PERF=1 (make bench)")
	}
	c := newController(t)
	c.buildInBackground()
	walls := map[int][]time.Duration{}
	var slowest []string
	for round := range wallTimeRounds {
		for _, size := range []int{1, fleetSize} {
			t.Run(fmt.Sprintf("round%d/hosts%d", round+1, size), func(t *testing.T) {
				nodes := bootFleet(t, size, size)
				p := c.playbook(t, nodes, map[string]any{"harden_confirm_timeout": 120, "harden_reconnect_timeout": 60})
				if p.Result.Exit != 0 {
					t.Fatalf("play over %d hosts: exit %d:\n%s", size, p.Result.Exit, p.failures())
				}
				for _, n := range nodes {
					if rep := p.Reports[n.name]; rep.Status != "confirmed" {
						t.Fatalf("%s: harden_result %+v, want confirmed", n.name, rep)
					}
				}
				walls[size] = append(walls[size], p.Wall)
				if size == fleetSize && round == 0 {
					slowest = append(slowest, p.slowest(8))
				}
				t.Logf("play over %d hosts: %s", size, p.Wall.Round(time.Millisecond))
			})
		}
	}
	one, many := median(walls[1]), median(walls[fleetSize])
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("play wall time, median of %d (min-max):\n"+
		"  1 host:  %6.1fs (%s)\n  %d hosts: %6.1fs (%s)\n  ratio %.2f; host load average %s\nslowest tasks of a %d-host play:\n%s",
		wallTimeRounds, one.Seconds(), spreadOf(walls[1]), fleetSize, many.Seconds(), spreadOf(walls[fleetSize]),
		many.Seconds()/one.Seconds(), strings.TrimSpace(string(load)), fleetSize, strings.Join(slowest, ""))
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func spreadOf(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	return fmt.Sprintf("%.1f-%.1fs", slices.Min(ds).Seconds(), slices.Max(ds).Seconds())
}
