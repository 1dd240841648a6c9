// Package user converges the unprivileged account the node runs as: a system
// user and group, its home and data directory, and optionally a systemd
// drop-in that runs the node's unit as that user inside a sandbox.
//
// Profile block (every attribute optional):
//
//	user "iri" {
//	  group            = "iri"                // primary group, created if missing
//	  uid              = 990                  // absent: useradd picks a system uid
//	  gid              = 990                  // absent: groupadd picks a system gid
//	  home             = "/var/lib/iri"
//	  shell            = "/usr/sbin/nologin"
//	  data_dir         = "/var/lib/iri"       // owned by the user, mode data_mode
//	  data_mode        = "0750"
//	  private_dirs     = []                   // owned by the user, mode 0700 (key pairs)
//	  unit             = "iri.service"        // the node's unit
//	  run_unit_as_user = true                 // drop-in: User=, Group=, sandboxing
//	  restart          = false                // restart the unit after a drop-in change
//	}
//
// The password is always locked: the account is for a service, never a
// login. To leave a setting unmanaged on an existing account set it to null
// (`shell = null`): a new account still gets the default. `data_dir = null`
// leaves the data directory alone.
//
// Accounts are read from the account databases under the host's root and
// changed only through groupadd, useradd and usermod (with --root for an
// offline system), which keep passwd, shadow and group consistent.
package user

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Factory registers the `user "NAME" { ... }` block.
var Factory = module.Factory{
	Block:  "user",
	Labels: []string{"name"},
	Doc:    "System user and group the node runs as: locked, no login shell, owns the data directory; optional sandboxed unit drop-in.",
	New:    func() module.Module { return &Module{} },
}

// Module is one `user "NAME"` block.
type Module struct {
	cfg Config
}

// Config is the decoded profile block.
type Config struct {
	Name  string
	Group string
	UID   int // -1: any (allocated by useradd)
	GID   int // -1: any
	// Home and Shell: "" when unmanaged (null); Create* hold what a new
	// account gets regardless.
	Home, Shell             string
	CreateHome, CreateShell string
	DataDir                 string // "" when unmanaged
	DataMode                uint32
	// PrivateDirs hold secrets (a node's key pairs): the user's, mode 0700.
	PrivateDirs   []string
	Unit          string
	RunUnitAsUser bool
	Restart       bool
}

// Name is "user.NAME".
func (m *Module) Name() string { return "user." + m.cfg.Name }

// UserName is the account's name (for peers that chown to it).
func (m *Module) UserName() string { return m.cfg.Name }

// GroupName is the account's primary group.
func (m *Module) GroupName() string { return m.cfg.Group }

// Config returns the decoded configuration.
func (m *Module) Config() Config { return m.cfg }

// nameRE is Debian's default NAME_REGEX for system accounts.
var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)

// DropInName is the drop-in file name (without .conf) the module owns.
const DropInName = "harden-user"

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "group", "uid", "gid", "home", "shell", "data_dir", "data_mode",
		"private_dirs", "unit", "run_unit_as_user", "restart")
	c := Config{Name: block.Labels[0]}
	if !nameRE.MatchString(c.Name) || len(c.Name) > 32 {
		d.Error(block.LabelRanges[0], "Invalid user name",
			fmt.Sprintf("user %q: a user name is 1 to 32 characters of a-z, 0-9, _ and -, starting with a letter or _.", c.Name))
	}
	c.Group, _ = d.String("group", c.Name)
	if module.HasAttr(block.Body, "group") && (!nameRE.MatchString(c.Group) || len(c.Group) > 32) {
		d.Add(module.BadValue(d.Range("group"), "group", c.Group, "a group name (a-z, 0-9, _ and -, starting with a letter or _)", nil))
	}
	c.UID = decodeID(d, "uid")
	c.GID = decodeID(d, "gid")

	defHome := "/var/lib/" + c.Name
	var p hclattr.Presence
	c.Home, p = d.String("home", defHome)
	c.CreateHome = c.Home
	if p == hclattr.Null {
		c.Home, c.CreateHome = "", defHome
	}
	checkAbs(d, "home", c.Home)
	c.Shell, p = d.String("shell", "/usr/sbin/nologin")
	c.CreateShell = c.Shell
	if p == hclattr.Null {
		c.Shell, c.CreateShell = "", "/usr/sbin/nologin"
	}
	checkAbs(d, "shell", c.Shell)
	c.DataDir = d.Optional("data_dir", c.CreateHome)
	if module.HasAttr(block.Body, "data_dir") { // else it is home, checked above
		checkAbs(d, "data_dir", c.DataDir)
	}
	c.DataMode = decodeMode(d, "data_mode", "0750")
	c.PrivateDirs = decodePrivateDirs(d)

	c.Unit, _ = d.String("unit", "")
	if c.Unit != "" && !unitdropin.ValidUnitName(c.Unit) {
		d.Add(module.BadValue(d.Range("unit"), "unit", c.Unit, "a systemd unit name such as \"iri.service\"", nil))
	}
	c.RunUnitAsUser = d.Bool("run_unit_as_user", false)
	if c.RunUnitAsUser && c.Unit == "" {
		d.Error(d.Range("run_unit_as_user"), "Missing unit",
			"run_unit_as_user: set unit (the node's systemd unit, such as \"iri.service\") to run it as this user.")
	}
	if c.RunUnitAsUser && (underDir(c.DataDir, "/home") || underDir(c.DataDir, "/root")) {
		d.Add(module.BadValue(d.Range("data_dir"), "data_dir", c.DataDir,
			"a directory outside /home and /root (the drop-in sets ProtectHome=yes, which hides them from the node)", nil))
	}
	c.Restart = d.Bool("restart", false)
	m.cfg = c
	return d.Diags
}

// privateDirMode: only the node's user may list or read what is inside.
const privateDirMode = 0o700

func decodePrivateDirs(d *hclattr.Decoder) []string {
	elems, _ := d.StringList("private_dirs")
	var out []string
	for _, e := range elems {
		switch {
		case !path.IsAbs(e.Value) || path.Clean(e.Value) != e.Value:
			d.Add(module.BadValue(e.Range, "private_dirs", e.Value, "an absolute, clean path such as \"/opt/iota/key-pairs\"", nil))
		case slices.Contains(out, e.Value):
			d.Error(e.Range, "Duplicate directory", fmt.Sprintf("private_dirs: %s is listed twice.", e.Value))
		default:
			out = append(out, e.Value)
		}
	}
	return out
}

func decodeID(d *hclattr.Decoder, name string) int {
	n, p := d.Int(name, -1)
	if p != hclattr.Set {
		return -1
	}
	if n < 1 || n > 65533 {
		d.Add(module.BadValue(d.Range(name), name, strconv.Itoa(n), "a number from 1 to 65533 (0 is root, 65534 is nobody)", nil))
		return -1
	}
	return n
}

func decodeMode(d *hclattr.Decoder, name, def string) uint32 {
	s, _ := d.String(name, def)
	mode, err := strconv.ParseUint(s, 8, 32)
	switch {
	case err != nil || mode > 0o777:
		d.Add(module.BadValue(d.Range(name), name, s, "an octal permission mode such as \"0750\"", nil))
	case mode&0o002 != 0:
		d.Add(module.BadValue(d.Range(name), name, s, "a mode without write permission for others", nil))
	case mode&0o700 != 0o700:
		d.Add(module.BadValue(d.Range(name), name, s, "a mode that gives the owner rwx (0700 at least)", nil))
	default:
		return uint32(mode)
	}
	return 0o750
}

func underDir(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func checkAbs(d *hclattr.Decoder, name, p string) {
	if p != "" && (!path.IsAbs(p) || path.Clean(p) != p) {
		d.Add(module.BadValue(d.Range(name), name, p, "an absolute, clean path", nil))
	}
}
