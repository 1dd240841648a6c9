package vps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The host runs no systemd, so systemd-nspawn cannot ask it for a scope:
// it puts the machine's cgroup tree below its caller's cgroup (…/payload).
// Two machines started from one test binary would then share one tree and
// their systemds trample each other's units (a boot came up "degraded"
// with systemd-user-sessions or systemd-sysusers failed, and commands died
// with 219/CGROUP). So every machine gets a cgroup of its own, in every
// hierarchy, before systemd-nspawn starts, and loses it once it is gone.

// machineCgroup is one machine's cgroup: a directory per hierarchy.
type machineCgroup struct {
	dirs []string
}

// cgroupName names a machine's cgroup; the slot lock keeps it unique on the
// host.
func cgroupName(machine string) string { return "harden-test-" + machine }

// newMachineCgroup creates the machine's cgroup below the test binary's
// own cgroup in each hierarchy (so limits set on the caller still apply). A
// tree left by a killed run is removed first.
func newMachineCgroup(machine string) (*machineCgroup, error) {
	parents, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	cg := &machineCgroup{}
	for _, parent := range parents {
		dir := filepath.Join(parent, cgroupName(machine))
		if err := removeCgroupTree(dir); err != nil {
			return nil, fmt.Errorf("stale cgroup: %w", err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			cg.remove()
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		cg.dirs = append(cg.dirs, dir)
		if err := inheritCpuset(parent, dir); err != nil {
			cg.remove()
			return nil, err
		}
	}
	return cg, nil
}

// enter moves process pid into the machine's cgroup in every hierarchy.
func (cg *machineCgroup) enter(pid int) error {
	for _, dir := range cg.dirs {
		procs := filepath.Join(dir, "cgroup.procs")
		if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("move pid %d into %s: %w", pid, dir, err)
		}
	}
	return nil
}

// remove deletes the machine's cgroup with everything systemd-nspawn and
// the machine's systemd made below it. Call it once systemd-nspawn has
// exited; a cgroup whose last process is still exiting is retried briefly.
func (cg *machineCgroup) remove() error {
	var errs []error
	for _, dir := range cg.dirs {
		errs = append(errs, removeCgroupTree(dir))
	}
	return errors.Join(errs...)
}

// removeCgroupTree removes dir and its child cgroups, deepest first (a
// cgroup with children cannot be removed). A missing dir is no error.
func removeCgroupTree(dir string) error {
	var tree []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			tree = append(tree, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(tree)
	for _, path := range tree {
		if err := rmdirRetry(path, 5*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// rmdirRetry removes an empty cgroup, waiting out EBUSY while its last
// processes finish exiting.
func rmdirRetry(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := syscall.Rmdir(path)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inheritCpuset gives a new cgroup v1 cpuset its parent's CPUs and memory
// nodes: a cpuset starts with none, and no process may join it then.
func inheritCpuset(parent, dir string) error {
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		mine, err := os.ReadFile(filepath.Join(dir, file))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // not the cpuset hierarchy
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(mine)) > 0 {
			continue
		}
		theirs, err := os.ReadFile(filepath.Join(parent, file))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, file), theirs, 0o644); err != nil {
			return fmt.Errorf("cgroup %s: set %s: %w", dir, file, err)
		}
	}
	return nil
}

// ownCgroups returns, for every cgroup hierarchy mounted on the host, the
// directory of this process's own cgroup in it.
func ownCgroups() ([]string, error) {
	membership, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return cgroupDirs(membership, mountinfo)
}

// cgroupDirs joins /proc/self/cgroup ("ID:controllers:path") with the
// cgroup mounts of /proc/self/mountinfo: each hierarchy's own directory is
// its mount point plus the path below the mount's root. A hierarchy
// mounted twice is used once.
func cgroupDirs(membership, mountinfo []byte) ([]string, error) {
	mounts := cgroupMounts(mountinfo)
	var dirs []string
	sc := bufio.NewScanner(bytes.NewReader(membership))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		controllers, path := parts[1], parts[2]
		m, ok := findMount(mounts, controllers)
		if !ok {
			continue // a hierarchy this mount namespace does not show
		}
		rel, ok := strings.CutPrefix(path, m.root)
		if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
			return nil, fmt.Errorf("cgroup %s of hierarchy %q is outside its mount %s (root %s)", path, controllers, m.point, m.root)
		}
		dirs = append(dirs, filepath.Join(m.point, rel))
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no cgroup hierarchy mounted")
	}
	return dirs, nil
}

type cgroupMount struct {
	point, root string
	v2          bool
	options     []string // v1 super options: controllers, name=...
}

// cgroupMounts reads cgroup and cgroup2 mounts from mountinfo lines:
// "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
func cgroupMounts(mountinfo []byte) []cgroupMount {
	var out []cgroupMount
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 || (g[0] != "cgroup" && g[0] != "cgroup2") {
			continue
		}
		root := strings.TrimSuffix(f[3], "/")
		out = append(out, cgroupMount{point: f[4], root: root, v2: g[0] == "cgroup2",
			options: strings.Split(g[2], ",")})
	}
	return out
}

// findMount finds the mount of a hierarchy: cgroup2 for "" (the unified
// hierarchy), else the v1 mount carrying all of its controllers.
func findMount(mounts []cgroupMount, controllers string) (cgroupMount, bool) {
	for _, m := range mounts {
		if controllers == "" {
			if m.v2 {
				return m, true
			}
			continue
		}
		if m.v2 {
			continue
		}
		all := true
		for _, c := range strings.Split(controllers, ",") {
			all = all && slices.Contains(m.options, c)
		}
		if all {
			return m, true
		}
	}
	return cgroupMount{}, false
}
