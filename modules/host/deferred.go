package host

import (
	"context"
	"fmt"
	"slices"
)

// deferred is the unit work modules leave to the end of an apply. The
// node's unit is changed by several modules (its user, its open-files
// limit, its API config); each needs a daemon-reload and a restart, and one
// of each carries all of them. A Java node takes minutes to come back, so
// restarting it once per module would cost the operator real downtime.
type deferred struct {
	daemonReload bool
	restarts     []string
}

// DaemonReloadLater asks for one daemon-reload before the deferred restarts.
// A DaemonReload run in the meantime (by any module) satisfies it.
func (h *Host) DaemonReloadLater() { h.later.daemonReload = true }

// RestartLater asks for unit to be restarted once, after every module has
// applied (and after the deferred daemon-reload).
func (h *Host) RestartLater(unit string) {
	if !slices.Contains(h.later.restarts, unit) {
		h.later.restarts = append(h.later.restarts, unit)
	}
}

// RunDeferred runs the deferred daemon-reload and restarts, journaled like
// any unit job, and forgets them. The engine calls it once every module has
// applied; an apply that fails before that point drops them (the undo puts
// the files back, so the running processes never saw the change).
func (h *Host) RunDeferred(ctx context.Context) error {
	work := h.later
	h.later = deferred{}
	if work.daemonReload {
		if err := h.DaemonReload(ctx); err != nil {
			return fmt.Errorf("daemon-reload: %w", err)
		}
	}
	for _, unit := range work.restarts {
		if err := h.RunUnit(ctx, OpRestart, unit); err != nil {
			return err
		}
	}
	return nil
}
