package access

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// armed is a test host where run has armed its rollback (a one-minute window).
func armed(t *testing.T, run string) (*host.Host, *hosttest.Systemd) {
	t.Helper()
	h, sd := hosttest.New(t)
	if err := os.MkdirAll(h.Path("/etc/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Arm(context.Background(), h, &Pending{Run: run}, time.Minute); err != nil {
		t.Fatal(err)
	}
	return h, sd
}

// Each run arms a timer of its own name: a second arm can never collide
// with the first one's timer, and disarming stops only the named run's.
func TestTimersAreNamedPerRun(t *testing.T) {
	h, sd := armed(t, "RUN1")
	ctx := context.Background()
	jobs := strings.Join(sd.Jobs, "\n")
	if !strings.Contains(jobs, "timer harden-rollback-RUN1.timer harden-rollback-RUN1.service after 1m0s:") {
		t.Errorf("timer not named after the run:\n%s", jobs)
	}
	// Disarming another run touches neither this run's timer nor its state.
	if err := Disarm(ctx, h, "RUN2"); err != nil {
		t.Fatal(err)
	}
	if p, _ := Load(h); p == nil || p.Run != "RUN1" {
		t.Errorf("disarming RUN2 cleared RUN1's pending state: %+v", p)
	}
	if jobs := strings.Join(sd.Jobs, "\n"); strings.Contains(jobs, "stop harden-rollback-RUN1.timer") {
		t.Errorf("disarming RUN2 stopped RUN1's timer:\n%s", jobs)
	}
	if err := Disarm(ctx, h, "RUN1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := Load(h); p != nil {
		t.Errorf("pending after disarming its run: %+v", p)
	}
	if jobs := strings.Join(sd.Jobs, "\n"); !strings.Contains(jobs, "stop harden-rollback-RUN1.timer") {
		t.Errorf("RUN1's timer not stopped:\n%s", jobs)
	}
}

// A second apply that needs confirming, while one waits, is refused before
// anything changes: it names the waiting run, its deadline, and both ways
// out. The waiting run's state and timer are left alone.
func TestOnePendingConfirmationAtATime(t *testing.T) {
	h, sd := armed(t, "RUN1")
	ctx := context.Background()
	jobs := len(sd.Jobs)
	err := Arm(ctx, h, &Pending{Run: "RUN2"}, time.Minute)
	var waiting *WaitingError
	if !errors.As(err, &waiting) || waiting.Pending.Run != "RUN1" {
		t.Fatalf("second arm: err = %v, want a WaitingError for RUN1", err)
	}
	for _, want := range []string{"RUN1", "harden confirm", "harden rollback RUN1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if p, _ := Load(h); p == nil || p.Run != "RUN1" {
		t.Errorf("pending state after the refused arm: %+v", p)
	}
	if len(sd.Jobs) != jobs {
		t.Errorf("the refused arm started or stopped units: %v", sd.Jobs[jobs:])
	}
	if err := CheckNonePending(h); !errors.As(err, &waiting) {
		t.Errorf("CheckNonePending = %v", err)
	}
}
