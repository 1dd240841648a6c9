package limits

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"harden/modules/host"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// State is what the files and the live system say.
type State struct {
	Offline    bool
	DropIn     []byte // nil: missing
	LimitsFile []byte // nil: missing
	// Overrides are later drop-ins of the unit that set LimitNOFILE too
	// (they win over ours): "override.conf: LimitNOFILE=4096".
	Overrides []string
	Live      *Live  // nil offline or when systemd could not be asked
	LiveErr   string // why Live is nil on a live machine

	// With a container: daemon.json as read (nil: missing), when it last
	// changed, and the daemon with its containers (nil offline or when
	// they could not be read, DockerErr says why).
	DaemonJSON    []byte
	DaemonJSONMod time.Time
	Docker        *Docker
	DockerErr     string
	daemon        daemonJSON
}

// Live is the unit and its process as systemd and the kernel see them.
type Live struct {
	LoadState string // "loaded", "not-found", ...
	// Configured is systemd's LimitNOFILE for the unit (what it will give
	// the next process it starts).
	Configured uint64
	// ConfiguredSoft is systemd's LimitNOFILESoft: the soft limit the next
	// process gets (0: not known).
	ConfiguredSoft uint64
	MainPID        uint32
	// ProcSoft and ProcHard are the running process's "Max open files".
	ProcSoft, ProcHard uint64
	// Cap is the most the service manager can give a process here: PID 1's
	// own hard limit when it lacks CAP_SYS_RESOURCE (a container), else the
	// kernel's fs.nr_open. 0: unknown.
	Cap uint64
}

// Read gathers the files and, on a live machine, the unit's limits.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	c := m.cfg
	st := &State{Offline: h.Offline()}
	var err error
	if c.User != "" {
		if st.LimitsFile, err = readOptional(h, c.LimitsPath()); err != nil {
			return nil, fmt.Errorf("limits: %w", err)
		}
	}
	if c.Container != "" {
		return st, m.readContainer(ctx, h, st)
	}
	if c.Unit == "" {
		return st, nil
	}
	ours := unitdropin.Path(c.Unit, DropInName)
	if st.DropIn, err = readOptional(h, ours); err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	if st.Overrides, err = laterOverrides(h, c.Unit, ours); err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	if !h.Offline() {
		st.Live, err = readLive(ctx, h.Systemd(), h.ReadFile, c.Unit)
		if err != nil {
			st.LiveErr = err.Error()
		}
	}
	return st, nil
}

// readContainer reads daemon.json and, live, the daemon and its
// containers.
func (m *Module) readContainer(ctx context.Context, h *host.Host, st *State) error {
	var err error
	if st.DaemonJSON, err = readOptional(h, DaemonJSONPath); err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	if st.daemon, err = parseDaemonJSON(st.DaemonJSON); err == nil {
		_, _, err = st.daemon.nofile()
	}
	if err != nil {
		return fmt.Errorf("limits: %s: %w (dockerd does not start with it either: fix the file)", DaemonJSONPath, err)
	}
	if st.DaemonJSON != nil {
		fi, err := h.Stat(DaemonJSONPath)
		if err != nil {
			return fmt.Errorf("limits: %w", err)
		}
		st.DaemonJSONMod = fi.ModTime()
	}
	if h.Offline() {
		return nil
	}
	dataRoot := st.daemon.str("data-root")
	if dataRoot == "" {
		dataRoot = defaultDataRoot
	}
	if st.Docker, err = readDocker(ctx, h, dataRoot, m.cfg.Container); err != nil {
		st.DockerErr = err.Error()
		return nil
	}
	st.Docker.LiveRestore = st.daemon.boolean("live-restore")
	return nil
}

func readOptional(h *host.Host, p string) ([]byte, error) {
	data, err := h.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// laterOverrides finds drop-ins that systemd applies after ours and that set
// LimitNOFILE themselves. systemd merges drop-ins from all its directories
// in file-name order; a name shadows the same name in a lower directory.
func laterOverrides(h *host.Host, unitName, ours string) ([]string, error) {
	byName := map[string]string{}
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system", "/run/systemd/system", "/etc/systemd/system"} {
		files, err := h.Glob(path.Join(dir, unitName+".d", "*.conf"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			byName[path.Base(f)] = f // later directories take precedence
		}
	}
	var names []string
	for n := range byName {
		if n > path.Base(ours) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		data, err := h.ReadFile(byName[n])
		if err != nil {
			continue
		}
		opts, err := unitdropin.Parse(data)
		if err != nil {
			continue
		}
		if v, ok := unitdropin.Value(opts, "Service", "LimitNOFILE"); ok {
			out = append(out, fmt.Sprintf("%s: LimitNOFILE=%s", byName[n], v))
		}
	}
	return out, nil
}

// readLive asks systemd about the unit and reads its process's limits.
func readLive(ctx context.Context, sd host.Systemd, read func(string) ([]byte, error), unitName string) (*Live, error) {
	l := &Live{}
	v, err := sd.Property(ctx, unitName, "LoadState")
	if err != nil {
		return nil, fmt.Errorf("%s LoadState: %w", unitName, err)
	}
	l.LoadState, _ = v.(string)
	if l.LoadState != "loaded" {
		return l, nil
	}
	if v, err = sd.Property(ctx, unitName, "LimitNOFILE"); err != nil {
		return nil, fmt.Errorf("%s LimitNOFILE: %w", unitName, err)
	}
	if l.Configured, err = toUint(v); err != nil {
		return nil, fmt.Errorf("%s LimitNOFILE: %w", unitName, err)
	}
	// The soft limit is what the process starts with (systemd's default is
	// 1024 soft, 524288 hard); unknown to an older systemd, it stays 0.
	if v, err = sd.Property(ctx, unitName, "LimitNOFILESoft"); err == nil {
		l.ConfiguredSoft, _ = toUint(v)
	}
	if v, err = sd.Property(ctx, unitName, "MainPID"); err != nil {
		return nil, fmt.Errorf("%s MainPID: %w", unitName, err)
	}
	pid, err := toUint(v)
	if err != nil {
		return nil, fmt.Errorf("%s MainPID: %w", unitName, err)
	}
	l.MainPID = uint32(pid)
	if l.MainPID > 0 {
		data, err := read(fmt.Sprintf("/proc/%d/limits", l.MainPID))
		if err != nil {
			return nil, fmt.Errorf("%s process limits: %w", unitName, err)
		}
		if l.ProcSoft, l.ProcHard, err = parseProcLimits(data); err != nil {
			return nil, fmt.Errorf("/proc/%d/limits: %w", l.MainPID, err)
		}
	}
	l.Cap = serviceCap(read)
	return l, nil
}

// serviceCap is the most open files systemd can give a service here.
func serviceCap(read func(string) ([]byte, error)) uint64 {
	var nrOpen uint64
	if data, err := read("/proc/sys/fs/nr_open"); err == nil {
		nrOpen, _ = strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	}
	status, err := read("/proc/1/status")
	if err != nil || hasSysResource(status) {
		return nrOpen
	}
	data, err := read("/proc/1/limits")
	if err != nil {
		return nrOpen
	}
	_, hard, err := parseProcLimits(data)
	if err != nil || (nrOpen > 0 && hard > nrOpen) {
		return nrOpen
	}
	return hard
}

// capSysResource is CAP_SYS_RESOURCE's bit (linux/capability.h).
const capSysResource = 24

// hasSysResource reads CapEff from /proc/PID/status.
func hasSysResource(status []byte) bool {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "CapEff:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(rest), 16, 64)
			return err == nil && bits&(1<<capSysResource) != 0
		}
	}
	return false
}

// parseProcLimits finds "Max open files  SOFT  HARD  files".
func parseProcLimits(data []byte) (soft, hard uint64, err error) {
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "Max open files")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			break
		}
		if soft, err = parseLimit(f[0]); err != nil {
			return 0, 0, err
		}
		if hard, err = parseLimit(f[1]); err != nil {
			return 0, 0, err
		}
		return soft, hard, nil
	}
	return 0, 0, errors.New(`no "Max open files" line`)
}

func parseLimit(s string) (uint64, error) {
	if s == "unlimited" {
		return ^uint64(0), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// toUint accepts the integer types D-Bus properties decode to.
func toUint(v any) (uint64, error) {
	switch n := v.(type) {
	case uint64:
		return n, nil
	case uint32:
		return uint64(n), nil
	case int64:
		return uint64(n), nil
	case int32:
		return uint64(n), nil
	case int:
		return uint64(n), nil
	case uint:
		return uint64(n), nil
	}
	return 0, fmt.Errorf("unexpected property type %T", v)
}
