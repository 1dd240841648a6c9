package iri

import (
	"context"
	"fmt"
	"path"

	"harden/modules/host"
	"harden/modules/internal/accounts"
	"harden/modules/module"
)

// newFileMode: the ini file can hold credentials (REMOTE_AUTH).
const newFileMode = 0o640

// Apply writes the ini file (journaled by the host), sets its owner and
// restarts the node when the plan says so.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	for _, ch := range plan.Changes {
		fc, ok := ch.Data.(fileChange)
		if !ok {
			return fmt.Errorf("iri: %s: unexpected change data %T", ch.Address, ch.Data)
		}
		if err := m.applyFile(h, fc); err != nil {
			return fmt.Errorf("iri: %s: %w", ch.Address, err)
		}
		if fc.Restart {
			h.RestartLater(m.cfg.Unit) // once, with the other modules' changes
		}
	}
	return nil
}

func (m *Module) applyFile(h *host.Host, fc fileChange) error {
	meta := host.FileMeta{Mode: newFileMode}
	if !fc.Create {
		var err error
		if meta, err = h.Meta(fc.Path); err != nil {
			return err
		}
	}
	if fc.Owner != "" {
		// Resolved now: a user block may have created the account earlier
		// in this apply.
		db, err := accounts.Read(h.ReadFile)
		if err != nil {
			return err
		}
		u, ok := db.User(fc.Owner)
		if !ok {
			return fmt.Errorf("owner %s does not exist", fc.Owner)
		}
		meta.UID, meta.GID = u.UID, u.GID
	}
	if fc.Data == nil {
		return h.Chown(fc.Path, meta)
	}
	if fc.Create {
		if err := h.MkdirAll(path.Dir(fc.Path), host.FileMeta{Mode: 0o755}); err != nil {
			return err
		}
	}
	return h.WriteFile(fc.Path, fc.Data, &meta)
}
