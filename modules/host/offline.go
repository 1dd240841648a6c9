package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
	"go.uber.org/zap"
)

// unitDirs are where unit files live, in systemd's precedence order.
var unitDirs = []string{"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// UnitFile is the file that defines a unit under the root, the first in
// systemd's precedence order; "" when no unit directory holds one (its
// package is not installed).
func (h *Host) UnitFile(name string) string {
	for _, dir := range unitDirs {
		if p := path.Join(dir, name); h.Exists(p) {
			return p
		}
	}
	return ""
}

// offlineSystemd is systemd for a system under -root: enabling a unit makes
// the symlinks systemctl would make; jobs and reloads are skipped (nothing
// runs there) and logged as skipped.
type offlineSystemd struct{ h *Host }

func (o *offlineSystemd) Run(_ context.Context, op UnitOp, unit string) error {
	o.h.log.Info("offline root: unit job skipped", zap.String("op", string(op)), zap.String("unit", unit))
	return nil
}

func (o *offlineSystemd) DaemonReload(context.Context) error { return nil }

func (o *offlineSystemd) Property(context.Context, string, string) (any, error) {
	return nil, ErrOffline
}

func (o *offlineSystemd) IsEnabled(_ context.Context, name string) (bool, error) {
	links, err := o.h.Glob("/etc/systemd/system/*.wants/" + name)
	return len(links) > 0, err
}

func (o *offlineSystemd) SetEnabled(_ context.Context, name string, enabled bool) error {
	j, err := o.h.jailed()
	if err != nil {
		return err
	}
	file, wantedBy, err := o.installSection(name)
	if err != nil {
		if !enabled {
			// Disabling what is not there: drop any link left behind.
			links, _ := o.h.Glob("/etc/systemd/system/*.wants/" + name)
			for _, l := range links {
				_ = j.remove(l, 0)
			}
			return nil
		}
		return err
	}
	for _, target := range wantedBy {
		wants := wantsDir(target)
		link := path.Join(wants, name)
		if !enabled {
			if err := j.remove(link, 0); err != nil {
				return err
			}
			continue
		}
		if err := j.mkdirAll(wants, 0o755); err != nil {
			return err
		}
		if err := j.symlink(file, link); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// WantsDirs are the .wants directories SetEnabled links a unit into.
func (o *offlineSystemd) WantsDirs(name string) ([]string, error) {
	_, wantedBy, err := o.installSection(name)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(wantedBy))
	for i, target := range wantedBy {
		dirs[i] = wantsDir(target)
	}
	return dirs, nil
}

func wantsDir(target string) string { return path.Join("/etc/systemd/system", target+".wants") }

// installSection finds a unit file and its [Install] WantedBy= targets.
func (o *offlineSystemd) installSection(name string) (string, []string, error) {
	for _, dir := range unitDirs {
		file := path.Join(dir, name)
		data, err := o.h.ReadFile(file)
		if err != nil {
			continue
		}
		opts, err := unit.DeserializeOptions(bytes.NewReader(data))
		if err != nil {
			return "", nil, fmt.Errorf("parse %s: %w", file, err)
		}
		var targets []string
		for _, opt := range opts {
			if opt.Section == "Install" && opt.Name == "WantedBy" {
				targets = append(targets, strings.Fields(opt.Value)...)
			}
		}
		if len(targets) == 0 {
			return "", nil, fmt.Errorf("%s has no [Install] WantedBy=", file)
		}
		return file, targets, nil
	}
	return "", nil, fmt.Errorf("unit %s not found under %s", name, o.h.Root())
}

// ErrNoSystemd: the live machine does not run systemd (a container or a
// build host whose PID 1 is something else).
var ErrNoSystemd = errors.New("systemd is not running on this machine (PID 1 is not systemd)")

// noSystemd is the service manager of a live machine without systemd:
// enablement is read and made through the unit-file links, as under -root,
// but a job (reload, restart) cannot run, and says so: an apply that needs
// one fails and is undone rather than leaving a daemon on its old config.
type noSystemd struct{ offlineSystemd }

func (n *noSystemd) Run(_ context.Context, op UnitOp, unit string) error {
	return fmt.Errorf("%s %s: %w", op, unit, ErrNoSystemd)
}

func (n *noSystemd) DaemonReload(context.Context) error {
	return fmt.Errorf("daemon-reload: %w", ErrNoSystemd)
}

func (n *noSystemd) Property(context.Context, string, string) (any, error) {
	return nil, ErrNoSystemd
}
