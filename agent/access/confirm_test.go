package access

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/modules/host/hosttest"
)

func TestArmRecordsPendingAndJournalsTheBootUnit(t *testing.T) {
	h, sd := hosttest.New(t)
	ctx := context.Background()
	if err := os.MkdirAll(h.Path("/etc/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &Pending{Run: "RUN1", HeldPorts: []int{22}, FinalPorts: []int{2222}}
	before := time.Now()
	if err := Arm(ctx, h, p, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := Load(h)
	if err != nil || got == nil {
		t.Fatalf("pending = %v, %v", got, err)
	}
	if got.Run != "RUN1" || got.Deadline.Before(before.Add(89*time.Second)) || got.HeldPorts[0] != 22 {
		t.Errorf("pending = %+v", got)
	}
	jobs := strings.Join(sd.Jobs, "\n")
	if !strings.Contains(jobs, "timer "+TimerUnit("RUN1")+" "+ServiceUnit("RUN1")+" after 1m30s:") ||
		!strings.Contains(jobs, " rollback -pending RUN1") {
		t.Errorf("timer not started as expected:\n%s", jobs)
	}
	unit := filepath.Join("/etc/systemd/system", BootUnit)
	if data, err := h.ReadFile(unit); err != nil || !strings.Contains(string(data), "rollback -pending") {
		t.Fatalf("boot unit: %v %q", err, data)
	}
	if !sd.Enabled[BootUnit] {
		t.Error("boot unit not enabled")
	}
	// A failed apply undoes its journal: the boot unit goes with it.
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if h.Exists(unit) || sd.Enabled[BootUnit] {
		t.Errorf("undo left the boot unit (exists %v, enabled %v)", h.Exists(unit), sd.Enabled[BootUnit])
	}
	if err := Disarm(ctx, h, "RUN1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := Load(h); p != nil {
		t.Errorf("pending after disarm: %+v", p)
	}
}
