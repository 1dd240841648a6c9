package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"go.uber.org/zap"
)

// UnitOp is a job run on a unit.
type UnitOp string

const (
	OpReload  UnitOp = "reload"
	OpRestart UnitOp = "restart"
	OpStart   UnitOp = "start"
	OpStop    UnitOp = "stop"
	// OpTryReload reloads (or restarts) a unit only if it is running;
	// OpTryRestart restarts only if running. Undo uses them: at boot, a
	// rollback must not start what is not up yet.
	OpTryReload  UnitOp = "try-reload-or-restart"
	OpTryRestart UnitOp = "try-restart"
	OpEnable     UnitOp = "enable"
	OpDisable    UnitOp = "disable"
	// OpDaemonReload is systemd's own reload (unit files changed).
	OpDaemonReload UnitOp = "daemon-reload"
)

// Systemd is the service manager, reached over D-Bus on the live machine,
// or through unit files alone under -root.
type Systemd interface {
	// Run runs a job (reload, restart, start) on a unit and waits for its
	// result; anything but "done" is an error.
	Run(ctx context.Context, op UnitOp, unit string) error
	DaemonReload(ctx context.Context) error
	// SetEnabled enables or disables a unit (no start/stop).
	SetEnabled(ctx context.Context, unit string, enabled bool) error
	IsEnabled(ctx context.Context, unit string) (bool, error)
	// Property reads a unit property ("ActiveState", "MainPID",
	// "LimitNOFILE", "ListenStream"...). Offline hosts have none.
	Property(ctx context.Context, unit, name string) (any, error)
}

// ErrOffline is returned for live questions asked of an offline host.
var ErrOffline = fmt.Errorf("offline system (-root): no live service manager")

// RunUnit runs a unit job and journals it so a rollback repeats it once
// the files it depends on are restored.
func (h *Host) RunUnit(ctx context.Context, op UnitOp, unit string) error {
	if err := h.record(Step{Kind: StepUnit, Unit: unit, Op: op}); err != nil {
		return err
	}
	if err := h.sd.Run(ctx, op, unit); err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	h.log.Info("unit job done", zap.String("op", string(op)), zap.String("unit", unit))
	return nil
}

// DaemonReload makes systemd re-read unit files (journaled like a reload).
func (h *Host) DaemonReload(ctx context.Context) error {
	if err := h.record(Step{Kind: StepUnit, Op: OpDaemonReload}); err != nil {
		return err
	}
	if err := h.sd.DaemonReload(ctx); err != nil {
		return err
	}
	h.later.daemonReload = false
	return nil
}

// SetEnabled enables or disables a unit, journaling its previous state.
func (h *Host) SetEnabled(ctx context.Context, unit string, enabled bool) error {
	was, err := h.sd.IsEnabled(ctx, unit)
	if err != nil {
		return fmt.Errorf("is-enabled %s: %w", unit, err)
	}
	if was == enabled {
		return nil
	}
	op := OpDisable
	if enabled {
		op = OpEnable
		if err := h.makeWantsDirs(unit); err != nil {
			return fmt.Errorf("enable %s: %w", unit, err)
		}
	}
	if err := h.record(Step{Kind: StepUnit, Unit: unit, Op: op, Enabled: was}); err != nil {
		return err
	}
	return h.sd.SetEnabled(ctx, unit, enabled)
}

// wantsDirer is a service manager that enables a unit by linking it into
// directories of its own making (the unit files of an image).
type wantsDirer interface {
	WantsDirs(unit string) ([]string, error)
}

// makeWantsDirs creates, journaled, the directories enabling unit links
// into, before the enable step is journaled: the undo, in reverse, takes
// the link away first and then the directories it emptied.
func (h *Host) makeWantsDirs(unit string) error {
	wd, ok := h.sd.(wantsDirer)
	if !ok {
		return nil
	}
	dirs, err := wd.WantsDirs(unit)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := h.MkdirAll(d, FileMeta{Mode: 0o755}); err != nil {
			return err
		}
	}
	return nil
}

// busSystemd talks to systemd over D-Bus. The connection opens on first use:
// a plan that asks systemd nothing never connects.
type busSystemd struct {
	log  *zap.Logger
	once sync.Once
	conn *sdbus.Conn
	err  error
}

func newBusSystemd(log *zap.Logger) *busSystemd { return &busSystemd{log: log} }

func (b *busSystemd) connect(ctx context.Context) (*sdbus.Conn, error) {
	b.once.Do(func() {
		b.conn, b.err = sdbus.NewWithContext(ctx)
		if b.err != nil {
			b.err = fmt.Errorf("connect to systemd: %w", b.err)
		}
	})
	return b.conn, b.err
}

func (b *busSystemd) Run(ctx context.Context, op UnitOp, unit string) error {
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	switch op {
	case OpRestart, OpStart, OpTryRestart:
		// A unit's start rate limit (StartLimitBurst, 5 in 10 s by
		// default) guards against crash loops. harden's own stop and
		// start pairs — a socket moved, then a rollback moving it back —
		// can reach it within seconds and leave sshd unstarted
		// ("start-limit-hit"); reset-failed flushes the counter. A unit
		// that is not loaded has nothing to reset.
		_ = c.ResetFailedUnitContext(ctx, unit)
	}
	// Buffered: the library sends the job result even if we stopped waiting.
	ch := make(chan string, 1)
	switch op {
	case OpReload:
		_, err = c.ReloadUnitContext(ctx, unit, "replace", ch)
	case OpRestart:
		_, err = c.RestartUnitContext(ctx, unit, "replace", ch)
	case OpStart:
		_, err = c.StartUnitContext(ctx, unit, "replace", ch)
	case OpStop:
		_, err = c.StopUnitContext(ctx, unit, "replace", ch)
	case OpTryReload:
		_, err = c.ReloadOrTryRestartUnitContext(ctx, unit, "replace", ch)
	case OpTryRestart:
		_, err = c.TryRestartUnitContext(ctx, unit, "replace", ch)
	default:
		return fmt.Errorf("unsupported unit job %q", op)
	}
	if err != nil {
		return err
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("job result %q (see journalctl -u %s)", res, unit)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *busSystemd) DaemonReload(ctx context.Context) error {
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	return c.ReloadContext(ctx)
}

func (b *busSystemd) SetEnabled(ctx context.Context, unit string, enabled bool) error {
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	if enabled {
		_, _, err = c.EnableUnitFilesContext(ctx, []string{unit}, false, false)
	} else {
		_, err = c.DisableUnitFilesContext(ctx, []string{unit}, false)
	}
	if err != nil {
		return err
	}
	return c.ReloadContext(ctx)
}

func (b *busSystemd) IsEnabled(ctx context.Context, unit string) (bool, error) {
	v, err := b.Property(ctx, unit, "UnitFileState")
	if err != nil {
		return false, err
	}
	s, _ := v.(string)
	return s == "enabled" || s == "enabled-runtime" || s == "alias", nil
}

func (b *busSystemd) Property(ctx context.Context, unit, name string) (any, error) {
	c, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	// Type-specific properties (LimitNOFILE on a service, ListenStream on
	// a socket) live on the type's interface: ask there first for a name
	// the Unit interface lacks, so that each costs one round trip.
	first, second := c.GetUnitPropertyContext, func(ctx context.Context, unit, name string) (*sdbus.Property, error) {
		return c.GetUnitTypePropertyContext(ctx, unit, unitType(unit), name)
	}
	if !unitInterface[name] && strings.Contains(unit, ".") {
		first, second = second, first
	}
	p, err := first(ctx, unit, name)
	if err != nil && strings.Contains(unit, ".") {
		p, err = second(ctx, unit, name)
	}
	if err != nil {
		return nil, err
	}
	return p.Value.Value(), nil
}

// unitInterface are the properties harden reads from systemd's Unit
// interface (org.freedesktop.systemd1.Unit); any other is asked of the
// unit type's interface first.
var unitInterface = map[string]bool{"ActiveState": true, "LoadState": true, "SubState": true,
	"UnitFileState": true, "FragmentPath": true, "DropInPaths": true, "Description": true, "Triggers": true,
	"TriggeredBy": true, "ActiveEnterTimestamp": true, "InvocationID": true, "NeedDaemonReload": true}

// unitType is the D-Bus interface suffix of a unit: "ssh.socket" → "Socket".
func unitType(unit string) string {
	suffix := unit[strings.LastIndex(unit, ".")+1:]
	if suffix == "" {
		return ""
	}
	return strings.ToUpper(suffix[:1]) + suffix[1:]
}

// Timers start transient timers; the D-Bus systemd implements it.
type Timers interface {
	// StartTimer creates a transient timer that runs argv once, as a
	// transient oneshot service, after the given delay.
	StartTimer(ctx context.Context, timer, service string, after time.Duration, argv []string) error
}

// StartTimer starts a transient timer, if the service manager can.
func (h *Host) StartTimer(ctx context.Context, timer, service string, after time.Duration, argv []string) error {
	t, ok := h.sd.(Timers)
	if !ok {
		return fmt.Errorf("start %s: this service manager has no transient timers", timer)
	}
	return t.StartTimer(ctx, timer, service, after, argv)
}

func (b *busSystemd) StartTimer(ctx context.Context, timer, service string, after time.Duration, argv []string) error {
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	// A stale timer of the same name (an earlier, finished window) would
	// make the start fail: clear it first; errors mean there was none.
	_ = c.ResetFailedUnitContext(ctx, timer)
	_ = c.ResetFailedUnitContext(ctx, service)
	timerProps := []sdbus.Property{
		{Name: "Description", Value: dbus.MakeVariant("harden: roll back unless confirmed")},
		// The base is the unit-file spelling: systemd 252 (Debian 12) rejects
		// "OnActiveUSec" ("Invalid timer base"), the name it reports back.
		{Name: "TimersMonotonic", Value: dbus.MakeVariant([]monotonicTimer{{"OnActiveSec", uint64(after.Microseconds())}})},
		// The default accuracy (1 min) would blur a short window.
		{Name: "AccuracyUSec", Value: dbus.MakeVariant(uint64(time.Second.Microseconds()))},
		{Name: "RemainAfterElapse", Value: dbus.MakeVariant(false)},
	}
	serviceProps := []sdbus.Property{
		{Name: "Description", Value: dbus.MakeVariant("harden: roll back an unconfirmed apply")},
		{Name: "Type", Value: dbus.MakeVariant("oneshot")},
		sdbus.PropExecStart(argv, false),
	}
	ch := make(chan string, 1)
	_, err = c.StartTransientUnitAux(ctx, timer, "replace", timerProps,
		[]sdbus.PropertyCollection{{Name: service, Properties: serviceProps}}, ch)
	if err != nil {
		return err
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("start %s: job result %q", timer, res)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// monotonicTimer is one entry of a timer's TimersMonotonic (D-Bus a(st)).
type monotonicTimer struct {
	Base string
	USec uint64
}
