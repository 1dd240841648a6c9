package limits

import (
	"context"
	"fmt"
	"path"
	"slices"

	"harden/modules/host"
	"harden/modules/module"
)

// Apply writes the files, reloads systemd when the drop-in changed or a
// reload is pending, and restarts the unit when the plan says so.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	var reload, restart bool
	for _, ch := range plan.Changes {
		reload = reload || slices.Contains(ch.Effects, "daemon-reload")
		restart = restart || slices.Contains(ch.Effects, "restart "+m.restartUnit())
		switch d := ch.Data.(type) {
		case fileChange:
			if err := h.MkdirAll(path.Dir(d.Path), host.FileMeta{Mode: 0o755}); err != nil {
				return fmt.Errorf("limits: %w", err)
			}
			if err := h.WriteFile(d.Path, d.Data, &host.FileMeta{Mode: 0o644}); err != nil {
				return fmt.Errorf("limits: %w", err)
			}
		case unitChange, dockerChange:
		default:
			return fmt.Errorf("limits: %s: unexpected change data %T", ch.Address, ch.Data)
		}
	}
	// Deferred: the node's unit may change in other modules too.
	if reload {
		h.DaemonReloadLater()
	}
	if restart {
		h.RestartLater(m.restartUnit())
	}
	return nil
}

// restartUnit is what gives the node's process a new limit: its unit, or
// the Docker daemon that starts its container.
func (m *Module) restartUnit() string {
	if m.cfg.Container != "" {
		return dockerUnit
	}
	return m.cfg.Unit
}
