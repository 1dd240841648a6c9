package vps

import (
	"reflect"
	"testing"
)

// A v1 hybrid host as the system tier sees it: separate hierarchies, the
// named systemd one, the unified one, and a memory cgroup set up by
// whoever started the tests.
const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:32 /outer /mnt/memory-again rw - cgroup cgroup rw,memory
`

const hybridMembership = `9:name=systemd:/
4:memory:/runner/a1c3
3:cpuset:/
1:cpu,cpuacct:/
0::/
`

func TestCgroupDirsJoinsMembershipAndMounts(t *testing.T) {
	got, err := cgroupDirs([]byte(hybridMembership), []byte(hybridMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/memory/runner/a1c3",
		"/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/unified"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cgroupDirs:\n got %q\nwant %q", got, want)
	}
}

func TestCgroupDirsBelowMountRoot(t *testing.T) {
	// In a container without a cgroup namespace the hierarchy may be mounted
	// from a sub-tree: the path below the mount's root is what counts.
	mountinfo := "40 31 0:37 /machine/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
	got, err := cgroupDirs([]byte("0::/machine/c1/tests\n"), []byte(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/sys/fs/cgroup/tests"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, outside := range []string{"0::/elsewhere\n", "0::/machine/c10\n"} {
		if _, err := cgroupDirs([]byte(outside), []byte(mountinfo)); err == nil {
			t.Errorf("%q, outside the mounted sub-tree, was accepted", outside)
		}
	}
	if _, err := cgroupDirs([]byte("0::/\n"), nil); err == nil {
		t.Error("no cgroup mount at all was accepted")
	}
}
