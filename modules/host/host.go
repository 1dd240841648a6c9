// Package host is everything that touches the machine: files under a root
// directory, commands, systemd. Every change made through a Host during an
// apply is journaled in the run directory first, so the engine can undo it
// in reverse order, in this process or a later one (`harden rollback`).
package host

import (
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/coreos/go-systemd/v22/util"

	"go.uber.org/zap"
)

// Host is the machine a run works on.
type Host struct {
	root    string
	offline bool
	log     *zap.Logger
	sd      Systemd
	env     func(string) string
	execs   atomic.Int64
	journal *Journal // nil outside apply/rollback: no writes allowed
	later   deferred // unit work left to the end of the apply

	jailOnce sync.Once
	jail     *jail // the root every file path is resolved in (jail.go)
	jailErr  error
}

// Options configure a Host.
type Options struct {
	// Root is "/" for the live machine, or a directory holding an offline
	// system (an image, a test root). Anything but "/" means Offline.
	Root   string
	Logger *zap.Logger
	// Systemd overrides the systemd client (tests that cannot reach a
	// systemd bus use a recording stand-in; it must say so).
	Systemd Systemd
	// Getenv overrides the process environment (SSH_CONNECTION in tests).
	Getenv func(string) string
}

// New returns a Host for the given options.
func New(o Options) *Host {
	root := o.Root
	if root == "" {
		root = "/"
	}
	root = filepath.Clean(root)
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	h := &Host{root: root, offline: root != "/", log: log, env: o.Getenv}
	if h.env == nil {
		h.env = sessionEnv
	}
	h.sd = o.Systemd
	switch {
	case h.sd != nil:
	case h.offline:
		h.sd = &offlineSystemd{h: h}
	case !util.IsRunningSystemd():
		log.Warn("systemd is not running here: unit enablement is read from the unit files and no service " +
			"can be reloaded, so an apply that needs a reload will fail and be undone")
		h.sd = &noSystemd{offlineSystemd{h: h}}
	default:
		h.sd = newBusSystemd(log)
	}
	return h
}

// Root is the directory the system lives under ("/" for the live machine).
func (h *Host) Root() string { return h.root }

// Offline reports whether the host is a system under a directory rather than
// the running machine: no live kernel state, no service reloads, no installs.
func (h *Host) Offline() bool { return h.offline }

// Logger is the run's logger (stderr). Modules log; they never print.
func (h *Host) Logger() *zap.Logger { return h.log }

// Systemd is the service manager client (D-Bus, or files under -root).
func (h *Host) Systemd() Systemd { return h.sd }

// Getenv reads the environment harden runs in (SSH_CONNECTION and such).
func (h *Host) Getenv(key string) string { return h.env(key) }

// Path maps a system path onto the host's root, lexically: for messages
// and for commands that take a root themselves. Never open it: the Host's
// file methods resolve paths inside the root, and a path joined like this
// follows an image's symlinks out of it.
func (h *Host) Path(p string) string {
	if h.root == "/" {
		return filepath.Clean(p)
	}
	return filepath.Join(h.root, p)
}

// Execs counts the commands this host has started (for benchmarks).
func (h *Host) Execs() int64 { return h.execs.Load() }

// Attach makes j the journal of this host's changes (writes need one),
// with no unit work deferred yet.
func (h *Host) Attach(j *Journal) {
	h.journal = j
	h.later = deferred{}
}

// Journal is the attached journal, or nil.
func (h *Host) Journal() *Journal { return h.journal }
