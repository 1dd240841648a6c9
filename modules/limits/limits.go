// Package limits raises the open-files limit where it reaches the node: a
// systemd drop-in with LimitNOFILE= for the node's unit (services ignore
// limits.conf) and a limits.d file for the user's login sessions. It checks
// the live result: systemd's LimitNOFILE and the running process's own
// /proc/<pid>/limits, and says so when the environment caps it lower.
//
// Profile block (every attribute optional):
//
//	limits {
//	  nofile  = 65535           // open files, soft and hard
//	  unit    = "iri.service"   // null: no drop-in
//	  user    = "iri"           // null: no limits.d file
//	  restart = false           // restart the unit so the process gets the new limit
//	}
package limits

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Factory registers the `limits { ... }` block.
var Factory = module.Factory{
	Block: "limits",
	Doc:   "Open-files limit for the node: LimitNOFILE= drop-in for its unit, limits.d for its user, checked against the live process.",
	New:   func() module.Module { return &Module{} },
}

// DropInName is the unit drop-in the module owns (without .conf).
const DropInName = "harden-limits"

// Bounds of nofile: below 1024 breaks ordinary programs; the kernel's
// default fs.nr_open (1048576) is the most a process can get.
const (
	minNofile = 1024
	maxNofile = 1 << 20
)

// Module is the `limits` block.
type Module struct{ cfg Config }

// Config is the decoded block.
type Config struct {
	Nofile  int
	Unit    string // "" unmanaged
	User    string // "" unmanaged
	Restart bool
}

// Name is "limits".
func (m *Module) Name() string { return "limits" }

// Nofile is the configured open-files limit.
func (m *Module) Nofile() int { return m.cfg.Nofile }

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "nofile", "unit", "user", "restart")
	c := Config{}
	var p hclattr.Presence
	c.Nofile, p = d.Int("nofile", 65535)
	if p == hclattr.Null {
		d.Error(d.Range("nofile"), "Invalid value for nofile", "nofile: the open-files limit is what this block manages; remove the limits block to leave it alone.")
	} else if c.Nofile < minNofile || c.Nofile > maxNofile {
		d.Add(module.BadValue(d.Range("nofile"), "nofile", strconv.Itoa(c.Nofile),
			fmt.Sprintf("a number from %d to %d (the kernel's default fs.nr_open)", minNofile, maxNofile), nil))
		c.Nofile = 65535
	}
	c.Unit, c.Restart = unitdropin.DecodeUnit(d, "iri.service")
	c.User = d.Optional("user", "iri")
	if c.User != "" && !validUser(c.User) {
		d.Add(module.BadValue(d.Range("user"), "user", c.User, "a user name (a-z, 0-9, _ and -, starting with a letter or _)", nil))
	}
	m.cfg = c
	return d.Diags
}

func validUser(s string) bool {
	if s == "" || len(s) > 32 || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// LimitsPath is the limits.d file for the user's login sessions.
func (c Config) LimitsPath() string { return "/etc/security/limits.d/harden-" + c.User + ".conf" }

// LimitsFile renders the limits.d file.
func (c Config) LimitsFile() []byte {
	return fmt.Appendf(nil, "# Managed by harden (limits). Local changes are overwritten by the next apply.\n"+
		"# Login sessions of %s (pam_limits); services take LimitNOFILE= from their unit.\n"+
		"%s soft nofile %d\n%s hard nofile %d\n", c.User, c.User, c.Nofile, c.User, c.Nofile)
}
