package user

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"harden/modules/host"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Payloads carried from Plan to Apply in Change.Data.
type (
	groupAdd struct {
		Name string
		GID  int // -1: allocated
	}
	userAdd struct {
		Name, Group, Home, Shell string
		UID                      int // -1: allocated
	}
	userMod struct {
		Name               string
		Home, Shell, Group string // "" unchanged
		Lock               bool
		Undo               undoData
	}
	dirChange struct {
		Path   string
		Mode   uint32
		Create bool
	}
	dropInChange struct {
		Path    string
		Data    []byte // nil: remove
		Restart bool
	}
)

// Plan compares the account, data directory and drop-in with the profile.
func (m *Module) Plan(s module.State) (module.Plan, error) {
	st, ok := s.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("%s: unexpected state %T", m.Name(), s)
	}
	c := m.cfg
	var p module.Plan
	if err := m.planGroup(st, &p); err != nil {
		return module.Plan{}, err
	}
	if err := m.planUser(st, &p); err != nil {
		return module.Plan{}, err
	}
	m.planDataDir(st, &p)
	m.planDropIn(st, &p)
	if st.ForeignEntries > 0 && c.DataDir != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"%s directly under %s not owned by %s: the node may fail to open them as %s (chown -R %s:%s %s)",
			entries(st.ForeignEntries), c.DataDir, c.Name, c.Name, c.Name, c.Group, c.DataDir))
	}
	if st.Offline {
		p.Notes = append(p.Notes, "offline root: accounts change through useradd/usermod --root; the unit's running state is not checked")
	}
	return p, nil
}

func (m *Module) addr(kind, name string) string {
	return fmt.Sprintf("%s.%s[%s]", m.Name(), kind, name)
}

func (m *Module) planGroup(st *State, p *module.Plan) error {
	c := m.cfg
	g, ok := st.DB.Group(c.Group)
	if ok {
		if c.GID >= 0 && g.GID != c.GID {
			return fmt.Errorf("%s: group %s exists with gid %d but the profile asks for gid %d; harden does not renumber groups (files keep the old gid): change it by hand or drop gid from the profile",
				m.Name(), c.Group, g.GID, c.GID)
		}
		return nil
	}
	gid := "(allocated by groupadd)"
	if c.GID >= 0 {
		if other, taken := st.DB.GroupByGID(c.GID); taken {
			return fmt.Errorf("%s: gid %d for group %s is already taken by group %s: choose another gid or drop gid from the profile",
				m.Name(), c.GID, c.Group, other.Name)
		}
		gid = strconv.Itoa(c.GID)
	}
	p.Changes = append(p.Changes, module.Change{
		Module: m.Name(), Address: m.addr("group", c.Group), Action: module.Create,
		Fields: []module.Field{{Name: "gid", After: gid, BeforeUnset: true}},
		Data:   groupAdd{Name: c.Group, GID: c.GID},
	})
	return nil
}

func (m *Module) planUser(st *State, p *module.Plan) error {
	c := m.cfg
	u, ok := st.DB.User(c.Name)
	if !ok {
		uid := "(allocated by useradd)"
		if c.UID >= 0 {
			if other, taken := st.DB.UserByUID(c.UID); taken {
				return fmt.Errorf("%s: uid %d for user %s is already taken by user %s: choose another uid or drop uid from the profile",
					m.Name(), c.UID, c.Name, other.Name)
			}
			uid = strconv.Itoa(c.UID)
		}
		p.Changes = append(p.Changes, module.Change{
			Module: m.Name(), Address: m.addr("account", c.Name), Action: module.Create,
			Fields: []module.Field{
				{Name: "uid", After: uid, BeforeUnset: true},
				{Name: "group", After: c.Group, BeforeUnset: true},
				{Name: "home", After: c.CreateHome, BeforeUnset: true},
				{Name: "shell", After: c.CreateShell, BeforeUnset: true},
				{Name: "password", After: "locked", BeforeUnset: true},
			},
			Data: userAdd{Name: c.Name, Group: c.Group, Home: c.CreateHome, Shell: c.CreateShell, UID: c.UID},
		})
		return nil
	}
	if c.UID >= 0 && u.UID != c.UID {
		return fmt.Errorf("%s: user %s exists with uid %d but the profile asks for uid %d; harden does not renumber accounts (files keep the old uid): change it by hand or drop uid from the profile",
			m.Name(), c.Name, u.UID, c.UID)
	}
	mod := userMod{Name: c.Name, Undo: undoData{Op: opUsermod, Name: c.Name}}
	var fields []module.Field
	switch {
	case c.Home == "" || u.Home == c.Home:
	case len(st.Busy) > 0:
		p.Warnings = append(p.Warnings, fmt.Sprintf("user %s has running processes (pids %s): usermod cannot move its home "+
			"while they run, so it stays %s; stop them (the node's unit) and apply again to move it to %s",
			c.Name, joinInts(st.Busy), u.Home, c.Home))
	default:
		fields = append(fields, module.Field{Name: "home", Before: u.Home, After: c.Home})
		mod.Home, mod.Undo.Home = c.Home, u.Home
	}
	if c.Shell != "" && u.Shell != c.Shell {
		fields = append(fields, module.Field{Name: "shell", Before: u.Shell, After: c.Shell})
		mod.Shell, mod.Undo.Shell = c.Shell, u.Shell
	}
	if group := st.DB.GroupName(u.GID); group != c.Group {
		fields = append(fields, module.Field{Name: "group", Before: group, After: c.Group})
		mod.Group, mod.Undo.Group = c.Group, group
	}
	switch locked, known := st.DB.Locked(c.Name); {
	case st.DB.Passwords == nil:
		p.Warnings = append(p.Warnings, fmt.Sprintf("/etc/shadow is not readable: whether %s's password is locked was not checked", c.Name))
	case !known || !locked:
		fields = append(fields, module.Field{Name: "password", Before: "usable", After: "locked"})
		mod.Lock, mod.Undo.Unlock = true, true
	}
	if len(fields) > 0 {
		p.Changes = append(p.Changes, module.Change{
			Module: m.Name(), Address: m.addr("account", c.Name), Action: module.Update,
			Fields: fields, Data: mod,
		})
	}
	return nil
}

func (m *Module) planDataDir(st *State, p *module.Plan) {
	if c := m.cfg; c.DataDir != "" {
		m.planDir(st, p, c.DataDir, c.DataMode, st.DataDir)
	}
	for _, dir := range m.cfg.PrivateDirs {
		m.planDir(st, p, dir, privateDirMode, st.PrivateDirs[dir])
	}
}

// planDir makes a directory the user's, with the given mode; have is its
// current mode and owner (nil: missing).
func (m *Module) planDir(st *State, p *module.Plan, dir string, mode uint32, have *host.FileMeta) {
	c := m.cfg
	wantMode := fmt.Sprintf("%04o", mode)
	owner := c.Name + ":" + c.Group
	if have == nil {
		p.Changes = append(p.Changes, module.Change{
			Module: m.Name(), Address: m.addr("dir", dir), Action: module.Create,
			Fields: []module.Field{{Name: "owner", After: owner, BeforeUnset: true}, {Name: "mode", After: wantMode, BeforeUnset: true}},
			Data:   dirChange{Path: dir, Mode: mode, Create: true},
		})
		return
	}
	var fields []module.Field
	if o := st.DB.UserName(have.UID) + ":" + st.DB.GroupName(have.GID); o != owner {
		fields = append(fields, module.Field{Name: "owner", Before: o, After: owner})
	}
	if hm := fmt.Sprintf("%04o", uint32(have.Mode.Perm())); hm != wantMode {
		fields = append(fields, module.Field{Name: "mode", Before: hm, After: wantMode})
	}
	if len(fields) > 0 {
		p.Changes = append(p.Changes, module.Change{
			Module: m.Name(), Address: m.addr("dir", dir), Action: module.Update,
			Fields: fields, Data: dirChange{Path: dir, Mode: mode},
		})
	}
}

// DropIn renders the drop-in that runs the unit as the user, with the
// sandboxing the node needs no exception from: its data lives under
// /var/lib, which ProtectSystem=full leaves writable.
func (c Config) DropIn() []byte {
	opts := []*unit.UnitOption{
		unit.NewUnitOption("Service", "User", c.Name),
		unit.NewUnitOption("Service", "Group", c.Group),
		unit.NewUnitOption("Service", "PrivateTmp", "yes"),
		unit.NewUnitOption("Service", "PrivateDevices", "yes"),
		unit.NewUnitOption("Service", "ProtectSystem", "full"),
		unit.NewUnitOption("Service", "ProtectHome", "yes"),
		unit.NewUnitOption("Service", "NoNewPrivileges", "yes"),
	}
	return unitdropin.Render(fmt.Sprintf("user %q", c.Name), opts)
}

func (m *Module) planDropIn(st *State, p *module.Plan) {
	c := m.cfg
	if c.Unit == "" {
		return
	}
	path := unitdropin.Path(c.Unit, DropInName)
	var want []byte
	if c.RunUnitAsUser {
		want = c.DropIn()
	}
	if bytes.Equal(want, st.DropIn) {
		return
	}
	ch := module.Change{Module: m.Name(), Address: m.addr("file", path), Before: string(st.DropIn), After: string(want)}
	switch {
	case st.DropIn == nil:
		ch.Action = module.Create
	case want == nil:
		ch.Action = module.Delete
	default:
		ch.Action = module.Update
	}
	ch.Effects = []string{"daemon-reload"}
	running := st.UnitActive == "active" || st.UnitActive == "activating" || st.UnitActive == "reloading"
	restart := c.Restart && running && !st.Offline
	if restart {
		ch.Effects = append(ch.Effects, "restart "+c.Unit)
	} else if running {
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s is running: the new user and sandbox apply at its next restart (restart = false)", c.Unit))
	}
	ch.Data = dropInChange{Path: path, Data: want, Restart: restart}
	p.Changes = append(p.Changes, ch)
}

func fsMode(m uint32) fs.FileMode { return fs.FileMode(m).Perm() }

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, n := range list {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func entries(n int) string {
	if n == 1 {
		return "1 entry is"
	}
	return fmt.Sprintf("%d entries are", n)
}
