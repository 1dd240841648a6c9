package user

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"harden/modules/host"
	"harden/modules/internal/accounts"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// State is what the machine says about the account.
type State struct {
	Offline bool
	DB      *accounts.DB
	// DataDir is the data directory's mode and owner; nil when missing.
	DataDir *host.FileMeta
	// PrivateDirs are the private directories' modes and owners (missing
	// ones are absent).
	PrivateDirs map[string]*host.FileMeta
	// ForeignEntries counts the data directory's top-level entries not
	// owned by the user (files left by a node that ran as root).
	ForeignEntries int
	// DropIn is the unit drop-in's bytes; nil when missing.
	DropIn []byte
	// UnitActive is the unit's ActiveState on a live machine ("" unknown).
	UnitActive string
	// Live is the unit's process and sandbox (live machine, unit set).
	Live *liveUnit
	// Busy are the pids of processes running as the user (live machine
	// only): usermod refuses to move the home of a user that has any.
	Busy []int
}

// Read gathers the account databases, the data directory and the drop-in.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	c := m.cfg
	st := &State{Offline: h.Offline()}
	var err error
	if st.DB, err = accounts.Read(h.ReadFile); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	if c.DataDir != "" {
		meta, err := h.Meta(c.DataDir)
		switch {
		case err == nil:
			st.DataDir = &meta
			uid := -1 // no account yet: every entry is foreign
			if u, ok := st.DB.User(c.Name); ok {
				uid = u.UID
			}
			st.ForeignEntries = countForeign(h, c.DataDir, uid)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: data directory: %w", m.Name(), err)
		}
	}
	st.PrivateDirs = map[string]*host.FileMeta{}
	for _, dir := range c.PrivateDirs {
		meta, err := h.Meta(dir)
		switch {
		case err == nil:
			st.PrivateDirs[dir] = &meta
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: private directory: %w", m.Name(), err)
		}
	}
	if u, ok := st.DB.User(c.Name); ok && !h.Offline() && c.Home != "" && u.Home != c.Home {
		st.Busy = userProcesses(h, u.UID)
	}
	if c.Unit != "" {
		data, err := h.ReadFile(unitdropin.Path(c.Unit, DropInName))
		switch {
		case err == nil:
			st.DropIn = data
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: %w", m.Name(), err)
		}
		if !h.Offline() {
			if v, err := h.Systemd().Property(ctx, c.Unit, "ActiveState"); err == nil {
				st.UnitActive, _ = v.(string)
			}
			if c.RunUnitAsUser {
				st.Live = readLiveUnit(ctx, h, c.Unit)
			}
		}
	}
	return st, nil
}

// countForeign looks at the top level only: the node's database can hold
// many thousands of files, and one foreign entry is enough to warn.
func countForeign(h *host.Host, dir string, uid int) int {
	entries, err := h.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, fi := range entries {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
			n++
		}
	}
	return n
}
