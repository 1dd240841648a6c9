// Package limits raises the open-files limit where it reaches the node: a
// systemd drop-in with LimitNOFILE= for the node's unit (services ignore
// limits.conf) and a limits.d file for the user's login sessions. It checks
// the live result: systemd's LimitNOFILE and the running process's own
// /proc/<pid>/limits, and says so when the environment caps it lower.
//
// Profile block (every attribute optional):
//
//	limits {
//	  nofile    = 65535           // open files, soft and hard
//	  unit      = "iri.service"   // null: no drop-in
//	  user      = "iri"           // null: no limits.d file
//	  container = null            // "iri": the node runs in this Docker container
//	  restart   = false           // restart the unit (or docker.service) so the process gets the new limit
//	}
//
// A node in a Docker container (container = "NAME"; unit then defaults to
// null) gets the limit through the Docker daemon: default-ulimits' nofile
// in /etc/docker/daemon.json, every other setting of the file kept. dockerd
// reads the file only when it starts (SIGHUP does not reload
// default-ulimits) and gives the limit to each container it starts that
// sets no nofile ulimit of its own. So the change takes a restart of
// docker.service, which without live-restore stops every container and
// starts again those with a restart policy (always, unless-stopped).
// restart = true restarts docker.service only when that brings every
// running container back (or live-restore keeps them running); otherwise,
// and with restart = false, the plan says what to run. The live check
// reads the container's main process's /proc/PID/limits: the pid comes
// from Docker's state files (config.v2.json under data-root), believed
// only when that process is in the container's cgroup. A container whose
// own ulimit is lower gets a warning naming it: it wins over the default.
// Where runc cannot give more (a container host without CAP_SYS_RESOURCE,
// whose containers would then fail to start), daemon.json gets that cap
// and the plan says so.
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
	Nofile    int
	Unit      string // "" unmanaged
	User      string // "" unmanaged
	Container string // "": the node does not run in a container
	Restart   bool
}

// Name is "limits".
func (m *Module) Name() string { return "limits" }

// Nofile is the configured open-files limit.
func (m *Module) Nofile() int { return m.cfg.Nofile }

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "nofile", "unit", "user", "container", "restart")
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
	c.Container = d.Optional("container", "")
	if c.Container == "" {
		c.Unit, c.Restart = unitdropin.DecodeUnit(d, "iri.service")
	} else {
		decodeContainer(d, &c)
	}
	c.User = d.Optional("user", "iri")
	if c.User != "" && !validUser(c.User) {
		d.Add(module.BadValue(d.Range("user"), "user", c.User, "a user name (a-z, 0-9, _ and -, starting with a letter or _)", nil))
	}
	m.cfg = c
	return d.Diags
}

// decodeContainer reads a node in a container: its name, no unit (the
// default iri.service does not apply), and whether to restart dockerd.
func decodeContainer(d *hclattr.Decoder, c *Config) {
	if !validContainer(c.Container) {
		d.Add(module.BadValue(d.Range("container"), "container", c.Container,
			"a Docker container name such as \"iri\" (letters, digits, _ . -)", nil))
	}
	if _, set := d.String("unit", ""); set == hclattr.Set {
		d.Error(d.Range("unit"), "Conflicting settings", fmt.Sprintf(
			"unit: the node runs either under a systemd unit or in a container, and container = %q; remove one of them.", c.Container))
	}
	c.Restart = d.Bool("restart", false)
}

// validContainer is Docker's rule for container names.
func validContainer(s string) bool {
	if len(s) < 2 || len(s) > 128 || !isAlnum(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !(isAlnum(r) || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
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
