package confirm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"harden/modules/host"
)

// bootUnit rolls back a pending apply at boot: the transient timer did not
// survive the reboot, the pending state did. It runs after the services a
// rollback reloads, and only when pending.json exists.
const bootUnit = `[Unit]
Description=harden: roll back an apply that was not confirmed before a reboot
ConditionPathExists=/var/lib/harden/pending.json
After=network.target ssh.service nftables.service haproxy.service

[Service]
Type=oneshot
ExecStart=%s rollback -pending

[Install]
WantedBy=multi-user.target
`

// Arm records a pending confirmation and starts the rollback timer. It runs
// before the apply changes anything: if arming fails, nothing is changed.
func Arm(ctx context.Context, h *host.Host, p *Pending, window time.Duration) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("confirm: find harden's own path: %w", err)
	}
	p.Deadline = time.Now().Add(window).UTC().Truncate(time.Second)
	if err := save(h, p); err != nil {
		return fmt.Errorf("confirm: write pending state: %w", err)
	}
	if err := installBootUnit(ctx, h, exe); err != nil {
		_ = Clear(h)
		return fmt.Errorf("confirm: install %s: %w", BootUnit, err)
	}
	argv := []string{exe, "rollback", "-pending", p.Run}
	if err := h.StartTimer(ctx, TimerUnit, ServiceUnit, window, argv); err != nil {
		_ = Clear(h)
		return fmt.Errorf("confirm: arm rollback timer: %w", err)
	}
	return nil
}

// installBootUnit writes and enables the boot-time unit when it is not
// there already (the .deb ships it; a hand-installed binary gets it here).
// It goes through the run's journal like any change: an apply that fails,
// or a rollback, takes it away again.
func installBootUnit(ctx context.Context, h *host.Host, exe string) error {
	want := fmt.Sprintf(bootUnit, exe)
	for _, dir := range []string{"/lib/systemd/system", "/etc/systemd/system"} {
		if data, err := h.ReadFile(filepath.Join(dir, BootUnit)); err == nil && string(data) == want {
			return nil
		}
	}
	if err := h.WriteFile(filepath.Join("/etc/systemd/system", BootUnit), []byte(want), nil); err != nil {
		return err
	}
	if err := h.DaemonReload(ctx); err != nil {
		return err
	}
	return h.SetEnabled(ctx, BootUnit, true)
}

// Disarm stops the rollback timer and removes the pending state.
func Disarm(ctx context.Context, h *host.Host) error {
	// Stopping an elapsed or missing timer is fine: the state file decides.
	_ = h.Systemd().Run(ctx, host.OpStop, TimerUnit)
	return Clear(h)
}
