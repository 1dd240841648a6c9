package access

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

// Arm records a pending confirmation and starts the run's rollback timer.
// It runs before the apply changes anything: if arming fails, or another
// run already waits for its confirmation (a *WaitingError), nothing is
// changed.
func Arm(ctx context.Context, h *host.Host, p *Pending, window time.Duration) error {
	if err := CheckNonePending(h); err != nil {
		return err
	}
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
	if err := h.StartTimer(ctx, TimerUnit(p.Run), ServiceUnit(p.Run), window, argv); err != nil {
		_ = Clear(h)
		return fmt.Errorf("confirm: arm rollback timer: %w", err)
	}
	return nil
}

// CheckNonePending returns a *WaitingError when a run waits for its
// confirmation: one at a time, or a second apply's failure (or its
// confirm) could take away the first one's rollback.
func CheckNonePending(h *host.Host) error {
	p, err := Load(h)
	if err != nil {
		return err
	}
	if p != nil {
		return &WaitingError{Pending: *p}
	}
	return nil
}

// WaitingError is an apply that needs confirming, refused because another
// run waits for its confirmation.
type WaitingError struct{ Pending Pending }

func (e *WaitingError) Error() string {
	return fmt.Sprintf("run %s changed SSH or the firewall and waits for `harden confirm` until %s (it is "+
		"rolled back then); only one such change can wait at a time. Keep it with `harden confirm` from a new "+
		"SSH session, or undo it with `harden rollback %s`, then apply again",
		e.Pending.Run, e.Pending.Deadline.Local().Format("15:04:05 MST"), e.Pending.Run)
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

// Disarm stops a run's rollback timer and removes the pending state if it
// is that run's: an apply only ever disarms its own rollback.
func Disarm(ctx context.Context, h *host.Host, run string) error {
	// Stopping an elapsed or missing timer is fine: the state file decides.
	_ = h.Systemd().Run(ctx, host.OpStop, TimerUnit(run))
	p, err := Load(h)
	if err != nil || p == nil || p.Run != run {
		return err
	}
	return Clear(h)
}
