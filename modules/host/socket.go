package host

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// OpRestartSocket moves a socket-activated service onto its socket's new
// listen list (see RestartSocket). Undo repeats it once the unit files are
// back, so the socket returns to its old ports.
const OpRestartSocket UnitOp = "restart-socket"

// RestartSocket makes a socket unit listen on what its unit files now say
// while the service it triggers (Accept=no) may be running.
//
// A plain `systemctl restart ssh.socket` fails there: the running service
// holds the listening sockets systemd handed it, and systemd refuses to
// start a socket whose service is already active ("Socket service
// ssh.service already active, refusing"). So the service is stopped first —
// with ssh.service's KillMode=process that ends the listener only, never the
// open sessions — the socket restarted on the new ports, and the service
// started again if it ran, so it takes the new sockets at once instead of on
// the next connection. Ubuntu's ssh.socket is RequiredBy=ssh.service, which
// makes systemd do the same on a socket restart; Debian 13's is not.
func (h *Host) RestartSocket(ctx context.Context, socket, service string) error {
	if err := h.record(Step{Kind: StepUnit, Unit: socket, Op: OpRestartSocket, Service: service}); err != nil {
		return err
	}
	if err := h.restartSocket(ctx, socket, service, false); err != nil {
		return fmt.Errorf("restart %s: %w", socket, err)
	}
	h.log.Info("socket moved", zap.String("socket", socket), zap.String("service", service))
	return nil
}

// restartSocket is RestartSocket's work. With onlyIfActive (undo, also at
// boot) a socket that is not listening is left alone: a rollback must not
// start what was not up.
func (h *Host) restartSocket(ctx context.Context, socket, service string, onlyIfActive bool) error {
	if onlyIfActive && !h.unitRunning(ctx, socket) {
		return nil
	}
	running := service != "" && h.unitRunning(ctx, service)
	if running {
		if err := h.sd.Run(ctx, OpStop, service); err != nil {
			return fmt.Errorf("stop %s first (it holds the old sockets): %w", service, err)
		}
	}
	if err := h.sd.Run(ctx, OpRestart, socket); err != nil {
		if running {
			// Bring the listener back whatever the socket did: the
			// service takes whatever sockets systemd still has.
			_ = h.sd.Run(ctx, OpStart, service)
		}
		return err
	}
	if running {
		if err := h.sd.Run(ctx, OpStart, service); err != nil {
			return fmt.Errorf("start %s on the new sockets: %w", service, err)
		}
	}
	return nil
}

// unitRunning reports whether a unit is active (or on its way), as the
// service manager sees it now.
func (h *Host) unitRunning(ctx context.Context, unit string) bool {
	v, err := h.sd.Property(ctx, unit, "ActiveState")
	if err != nil {
		return false
	}
	switch v {
	case "active", "activating", "reloading":
		return true
	}
	return false
}
