package user

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"

	"harden/modules/host"
	"harden/modules/internal/accounts"
	"harden/modules/module"
)

// Undo operations recorded before each account command.
const (
	opGroupdel = "groupdel" // a group this run created
	opUserdel  = "userdel"  // a user this run created
	opUsermod  = "usermod"  // a user this run changed: put the old values back
)

// undoData is the journaled custom step; Undo needs nothing else.
type undoData struct {
	Op    string `json:"op"`
	Name  string `json:"name"`
	Home  string `json:"home,omitempty"`
	Shell string `json:"shell,omitempty"`
	Group string `json:"group,omitempty"`
	// Unlock: the run locked a usable password.
	Unlock bool `json:"unlock,omitempty"`
	// KeepGroup: a group named like the user that existed before the run.
	// userdel removes a user's same-named group (USERGROUPS_ENAB); undo
	// recreates it with its gid.
	KeepGroup *accounts.Group `json:"keep_group,omitempty"`
}

// Apply runs the planned account commands and file changes in plan order
// (group, account, data directory, drop-in), then reloads systemd.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	createdGroup := map[string]bool{}
	var reload bool
	var restart string
	for _, ch := range plan.Changes {
		var err error
		switch d := ch.Data.(type) {
		case groupAdd:
			err = m.addGroup(ctx, h, d)
			createdGroup[d.Name] = true
		case userAdd:
			err = m.addUser(ctx, h, d, createdGroup[d.Name])
		case userMod:
			err = m.modUser(ctx, h, d)
		case dirChange:
			err = m.applyDir(h, d)
		case dropInChange:
			err = applyDropIn(h, d)
			reload = true
			if d.Restart {
				restart = m.cfg.Unit
			}
		default:
			err = fmt.Errorf("unexpected change data %T", ch.Data)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", m.Name(), ch.Address, err)
		}
	}
	// The node's unit may change in other modules too: one daemon-reload
	// and one restart at the end of the apply carry them all.
	if reload {
		h.DaemonReloadLater()
	}
	if restart != "" {
		h.RestartLater(restart)
	}
	return nil
}

// rootArgs points the shadow tools at an offline system (they chroot there).
func rootArgs(h *host.Host) []string {
	if h.Offline() {
		return []string{"--root", h.Root()}
	}
	return nil
}

func run(ctx context.Context, h *host.Host, name string, args ...string) error {
	_, err := h.Run(ctx, name, append(rootArgs(h), args...)...)
	return err
}

func (m *Module) addGroup(ctx context.Context, h *host.Host, d groupAdd) error {
	if err := h.RecordCustom(undoData{Op: opGroupdel, Name: d.Name}); err != nil {
		return err
	}
	args := []string{"--system"}
	if d.GID >= 0 {
		args = append(args, "--gid", strconv.Itoa(d.GID))
	}
	return run(ctx, h, "groupadd", append(args, d.Name)...)
}

func (m *Module) addUser(ctx context.Context, h *host.Host, d userAdd, groupIsNew bool) error {
	undo := undoData{Op: opUserdel, Name: d.Name}
	if !groupIsNew {
		db, err := accounts.Read(h.ReadFile)
		if err != nil {
			return err
		}
		if g, ok := db.Group(d.Name); ok {
			undo.KeepGroup = &g
		}
	}
	if err := h.RecordCustom(undo); err != nil {
		return err
	}
	// No --create-home: the data directory is made (and journaled) through
	// the host, without /etc/skel's dotfiles. useradd leaves the password
	// locked ("!") when none is given.
	args := []string{"--system", "--no-create-home", "--home-dir", d.Home, "--shell", d.Shell, "--gid", d.Group}
	if d.UID >= 0 {
		args = append(args, "--uid", strconv.Itoa(d.UID))
	}
	return run(ctx, h, "useradd", append(args, d.Name)...)
}

func (m *Module) modUser(ctx context.Context, h *host.Host, d userMod) error {
	if err := h.RecordCustom(d.Undo); err != nil {
		return err
	}
	var args []string
	if d.Home != "" {
		args = append(args, "--home", d.Home) // no --move-home: data stays where it is
	}
	if d.Shell != "" {
		args = append(args, "--shell", d.Shell)
	}
	if d.Group != "" {
		args = append(args, "--gid", d.Group)
	}
	if d.Lock {
		args = append(args, "--lock")
	}
	return run(ctx, h, "usermod", append(args, d.Name)...)
}

// applyDir resolves the owner now: the account may have been created a
// moment ago in this same apply.
func (m *Module) applyDir(h *host.Host, d dirChange) error {
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		return err
	}
	u, ok := db.User(m.cfg.Name)
	if !ok {
		return fmt.Errorf("user %s does not exist", m.cfg.Name)
	}
	g, ok := db.Group(m.cfg.Group)
	if !ok {
		return fmt.Errorf("group %s does not exist", m.cfg.Group)
	}
	meta := host.FileMeta{Mode: fsMode(d.Mode), UID: u.UID, GID: g.GID}
	if d.Create {
		return h.MkdirAll(d.Path, meta)
	}
	return h.Chown(d.Path, meta)
}

func applyDropIn(h *host.Host, d dropInChange) error {
	if d.Data == nil {
		return h.RemoveFile(d.Path)
	}
	if err := h.MkdirAll(path.Dir(d.Path), host.FileMeta{Mode: 0o755}); err != nil {
		return err
	}
	return h.WriteFile(d.Path, d.Data, &host.FileMeta{Mode: 0o644})
}

// Undo reverses one journaled account command. It is idempotent: an
// account already gone (or never made) is not an error.
func (m *Module) Undo(ctx context.Context, h *host.Host, raw json.RawMessage) error {
	var d undoData
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("user: undo data: %w", err)
	}
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		return fmt.Errorf("user: undo: %w", err)
	}
	switch d.Op {
	case opGroupdel:
		if _, ok := db.Group(d.Name); !ok {
			return nil
		}
		return run(ctx, h, "groupdel", d.Name)
	case opUserdel:
		if _, ok := db.User(d.Name); ok {
			// --force: the node may still run as the user until the engine
			// repeats its restart at the end of the undo. Without
			// --remove the home and its data stay.
			if err := run(ctx, h, "userdel", "--force", d.Name); err != nil {
				return err
			}
		}
		return restoreGroup(ctx, h, d.KeepGroup)
	case opUsermod:
		if _, ok := db.User(d.Name); !ok {
			return nil
		}
		var args []string
		if d.Home != "" {
			args = append(args, "--home", d.Home)
		}
		if d.Shell != "" {
			args = append(args, "--shell", d.Shell)
		}
		if d.Group != "" {
			args = append(args, "--gid", d.Group)
		}
		if d.Unlock {
			args = append(args, "--unlock")
		}
		if len(args) == 0 {
			return nil
		}
		return run(ctx, h, "usermod", append(args, d.Name)...)
	}
	return fmt.Errorf("user: undo: unknown operation %q", d.Op)
}

func restoreGroup(ctx context.Context, h *host.Host, g *accounts.Group) error {
	if g == nil {
		return nil
	}
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		return err
	}
	if _, ok := db.Group(g.Name); ok {
		return nil
	}
	return run(ctx, h, "groupadd", "--system", "--gid", strconv.Itoa(g.GID), g.Name)
}
