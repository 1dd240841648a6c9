package iota

import (
	"context"
	"fmt"

	"harden/modules/host"
	"harden/modules/module"
)

// Apply writes the YAML (journaled by the host, keeping its mode and
// owner) and restarts the node when the plan says so.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	for _, ch := range plan.Changes {
		fc, ok := ch.Data.(fileChange)
		if !ok {
			return fmt.Errorf("iota: %s: unexpected change data %T", ch.Address, ch.Data)
		}
		meta, err := h.Meta(fc.Path)
		if err != nil {
			return fmt.Errorf("iota: %s: %w", ch.Address, err)
		}
		if err := h.WriteFile(fc.Path, fc.Data, &meta); err != nil {
			return fmt.Errorf("iota: %s: %w", ch.Address, err)
		}
		if fc.Restart {
			h.RestartLater(m.cfg.Unit) // once, with the other modules' changes
		}
	}
	return nil
}
