package limits

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"harden/modules/host"
)

// container.go: a node that runs in a Docker container. Its open-files
// limit comes from the container's own ulimits (docker run --ulimit,
// compose's ulimits) or, without them, from the daemon's default-ulimits
// in daemon.json, which dockerd reads when it starts and applies to each
// container it starts. The live limit is the one in /proc/PID/limits of the
// container's main process, found through Docker's state files (no Docker
// API, no docker CLI) and checked against the container's cgroup.

// dockerUnit is the Docker daemon's systemd unit.
const dockerUnit = "docker.service"

// defaultDataRoot is where dockerd keeps its state unless daemon.json's
// data-root says otherwise.
const defaultDataRoot = "/var/lib/docker"

// Docker is the daemon and its containers as systemd, Docker's state files
// and the kernel show them.
type Docker struct {
	LoadState string // docker.service's: "loaded", "not-found", ...
	Active    bool
	// Started is when the running dockerd started: a daemon.json changed
	// later is not loaded yet.
	Started time.Time
	// Node is the container the block names (nil: none of that name).
	Node *Container
	// Others are the other containers that run now.
	Others []Container
	// Cap is the most open files runc can give a container here (see
	// serviceCap); a container asking for more does not start.
	Cap uint64
	// LiveRestore: daemon.json's live-restore, under which containers keep
	// running while dockerd restarts.
	LiveRestore bool
}

// Container is one container from its state files.
type Container struct {
	ID, Name string
	Running  bool
	PID      int
	// Restart is its restart policy ("no", "always", "unless-stopped",
	// "on-failure").
	Restart string
	// Own is its own nofile ulimit, which wins over the daemon's default.
	Own *Ulimit
	// ProcSoft and ProcHard are its main process's "Max open files".
	ProcSoft, ProcHard uint64
}

// comesBack reports whether dockerd starts the container again after a
// restart of the daemon.
func (c Container) comesBack() bool { return c.Restart == "always" || c.Restart == "unless-stopped" }

// readDocker asks systemd about docker.service and reads the containers'
// state files under dataRoot.
func readDocker(ctx context.Context, h *host.Host, dataRoot, name string) (*Docker, error) {
	d := &Docker{}
	sd := h.Systemd()
	v, err := sd.Property(ctx, dockerUnit, "LoadState")
	if err != nil {
		return nil, fmt.Errorf("%s LoadState: %w", dockerUnit, err)
	}
	if d.LoadState, _ = v.(string); d.LoadState != "loaded" {
		return d, nil
	}
	if v, err = sd.Property(ctx, dockerUnit, "ActiveState"); err != nil {
		return nil, fmt.Errorf("%s ActiveState: %w", dockerUnit, err)
	}
	d.Active = v == "active"
	if v, err = sd.Property(ctx, dockerUnit, "ExecMainStartTimestamp"); err != nil {
		return nil, fmt.Errorf("%s ExecMainStartTimestamp: %w", dockerUnit, err)
	}
	usec, err := toUint(v)
	if err != nil {
		return nil, fmt.Errorf("%s ExecMainStartTimestamp: %w", dockerUnit, err)
	}
	d.Started = time.UnixMicro(int64(usec))
	all, err := readContainers(h.Glob, h.ReadFile, dataRoot)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		switch {
		case c.Name == name:
			d.Node = &c
		case c.Running:
			d.Others = append(d.Others, c)
		}
	}
	d.Cap = serviceCap(h.ReadFile)
	return d, nil
}

// stateFile is what harden reads of a container's config.v2.json.
type stateFile struct {
	ID    string
	Name  string // "/iri"
	State struct {
		Running bool
		Pid     int
	}
}

// hostConfig is what harden reads of its hostconfig.json.
type hostConfig struct {
	RestartPolicy struct{ Name string }
	Ulimits       []Ulimit
}

// readContainers reads every container's state files. A running one's
// pid is believed only if that process is in the container's cgroup (a
// dockerd that died leaves Running and a pid the kernel may have reused);
// its limits are read from /proc.
func readContainers(glob func(string) ([]string, error), read func(string) ([]byte, error), dataRoot string) ([]Container, error) {
	files, err := glob(path.Join(dataRoot, "containers", "*", "config.v2.json"))
	if err != nil {
		return nil, err
	}
	var out []Container
	for _, f := range files {
		var sf stateFile
		data, err := read(f)
		if err != nil {
			continue // removed since the glob
		}
		if err := json.Unmarshal(data, &sf); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		c := Container{ID: sf.ID, Name: strings.TrimPrefix(sf.Name, "/"), Running: sf.State.Running, PID: sf.State.Pid, Restart: "no"}
		var hc hostConfig
		if data, err := read(path.Join(path.Dir(f), "hostconfig.json")); err == nil && json.Unmarshal(data, &hc) == nil {
			if hc.RestartPolicy.Name != "" {
				c.Restart = hc.RestartPolicy.Name
			}
			if i := slices.IndexFunc(hc.Ulimits, func(u Ulimit) bool { return u.Name == "nofile" }); i >= 0 {
				c.Own = &hc.Ulimits[i]
			}
		}
		if c.Running {
			c.Running = c.readProcess(read)
		}
		out = append(out, c)
	}
	return out, nil
}

// readProcess checks that the main process belongs to the container and
// reads its limits; false if it does not (or is gone).
func (c *Container) readProcess(read func(string) ([]byte, error)) bool {
	if c.PID <= 0 || c.ID == "" {
		return false
	}
	cgroup, err := read(fmt.Sprintf("/proc/%d/cgroup", c.PID))
	if err != nil || !strings.Contains(string(cgroup), c.ID) {
		return false
	}
	limits, err := read(fmt.Sprintf("/proc/%d/limits", c.PID))
	if err != nil {
		return false
	}
	c.ProcSoft, c.ProcHard, err = parseProcLimits(limits)
	return err == nil
}
