package vps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A Docker machine (Options.Docker) is its release's fresh VPS with
// Debian's Docker installed and running, as on an operator's node that
// runs in a container. Two things differ from every other machine:
//
//   - its image is a variant of the release's: the base image with
//     dockerPackages installed, built once from the cached base and cached
//     beside it;
//   - systemd-nspawn gives it what dockerd needs inside (dockerNspawnEnv,
//     dockerNspawnArgs). Without them dockerd fails with "mkdir
//     /sys/fs/cgroup/cpuset/docker: read-only file system" and runc with
//     "unable to join session keyring" and "bpf_prog_query(BPF_CGROUP_DEVICE)
//     failed: operation not permitted".
//
// No image registry is reachable: a test builds its container images from
// a tarball (docker import), such as a static binary beside busybox.

// dockerPackages are what the Docker variant adds: Docker itself, a static
// busybox to put into container images, and iptables (Docker writes its
// rules through iptables-nft).
var dockerPackages = []string{"docker.io", "busybox-static", "iptables"}

// dockerRecipe changes when the way the variant is built changes.
const dockerRecipe = 1

// dockerNspawnEnv gives the machine a writable cgroup2 tree of its own
// (the host's controllers are cgroup v1, which dockerd cannot use inside).
var dockerNspawnEnv = []string{"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1"}

// dockerNspawnArgs let runc join a session keyring and load the eBPF
// device filters of cgroup2.
var dockerNspawnArgs = []string{"--system-call-filter=@keyring bpf"}

// dockerImagePath names the Docker variant of a base image: the base's
// file name carries the hash of its own inputs, so a new base makes a new
// variant.
func dockerImagePath(base string) string {
	name := strings.TrimSuffix(filepath.Base(base), ".tar.zst")
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", name, strings.Join(dockerPackages, " "), dockerRecipe))
	suite := strings.SplitN(strings.TrimPrefix(name, "rootfs-"), "-", 2)[0]
	return filepath.Join(filepath.Dir(base), "docker-"+suite+"-"+hex.EncodeToString(sum[:])[:16]+".tar.zst")
}

// EnsureDockerImage returns the Docker variant of the base image tarball,
// building it first if it is not cached: the base unpacked, the packages
// installed from the base's mirror (their .debs kept for the next build),
// dockerd enabled, the tree packed again. Test binaries building the same
// variant at once wait for each other.
func EnsureDockerImage(ctx context.Context, base string, logf func(string, ...any)) (string, error) {
	tarball := dockerImagePath(base)
	unlock, err := lockFile(tarball + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(tarball); err == nil {
		return tarball, nil
	}
	start := time.Now()
	logf("%s: building from %s with %s", filepath.Base(tarball), filepath.Base(base), strings.Join(dockerPackages, " "))
	if err := buildDockerImage(ctx, base, tarball); err != nil {
		return "", fmt.Errorf("build %s: %w", filepath.Base(tarball), err)
	}
	logf("%s: built in %s", filepath.Base(tarball), time.Since(start).Round(time.Second))
	// Variants of an older base are dead weight.
	prefix := strings.SplitN(filepath.Base(tarball), "-", 3)
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(tarball), prefix[0]+"-"+prefix[1]+"-*.tar.zst"))
	for _, o := range old {
		if o != tarball {
			os.Remove(o)
			os.Remove(o + ".lock")
		}
	}
	return tarball, nil
}

func buildDockerImage(ctx context.Context, base, tarball string) error {
	root, err := os.MkdirTemp(filepath.Dir(tarball), "build-docker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := Unpack(ctx, base, root); err != nil {
		return err
	}
	if err := InstallPackages(ctx, root, "docker", dockerPackages...); err != nil {
		return err
	}
	// The package enables them already; a tree that lost a link must not
	// boot a machine without Docker.
	if _, err := run(ctx, nil, "chroot", root, "systemctl", "--quiet", "enable", "docker.service", "containerd.service"); err != nil {
		return err
	}
	return pack(ctx, root, tarball)
}
