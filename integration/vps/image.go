package vps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DeployUser and DeployPassword are the operator account of the fresh VPS:
// it logs in with the harness key, and has a password so a test can prove
// that password login is refused once harden has run.
const (
	DeployUser     = "deploy"
	DeployPassword = "fresh-vps-password"
)

// ImageSpec is everything a cached rootfs depends on. Its hash names the
// cached tarball, so changing any field (or the setup script) rebuilds it.
type ImageSpec struct {
	Suite    string   `json:"suite"`
	Mirror   string   `json:"mirror"`
	Variant  string   `json:"variant"`
	Packages []string `json:"packages"`
	// Predownload are packages harden installs later: their .debs are put in
	// apt's archive cache so `apt-get install` works with no network.
	Predownload []string `json:"predownload"`
	Setup       string   `json:"setup"`
	// Recipe changes when the way the harness builds the image changes.
	Recipe int `json:"recipe"`
}

// SpecFor is a minimal "fresh VPS" of a Debian suite: systemd as PID 1,
// stock sshd with a cloud-init drop-in turning passwords on, a sudo user,
// haproxy's packages at hand. Every suite comes from the mirror the host's
// apt uses.
func SpecFor(suite string) (ImageSpec, error) {
	mirror, err := Mirror(suite)
	if err != nil {
		return ImageSpec{}, err
	}
	return ImageSpec{
		Suite:   suite,
		Mirror:  mirror,
		Variant: "minbase",
		Packages: []string{"systemd", "systemd-sysv", "dbus", "openssh-server", "nftables",
			"iproute2", "sudo", "ca-certificates", "procps"},
		Predownload: []string{"haproxy"},
		Setup:       setupScript,
		Recipe:      2,
	}, nil
}

// setupScript runs inside the debootstrapped tree (chroot) once per image.
// Per-machine parts (address, authorized keys, the harden binary) are added
// to each fresh copy instead, so they are not inputs of the cache.
const setupScript = `set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
# Keep the image small (each scenario unpacks a copy): no debootstrap debs,
# compressed package lists, no docs or translations.
apt-get clean
printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' > /etc/apt/apt.conf.d/90harden-test-gzip
apt-get update -q
apt-get install --download-only -y -q $PREDOWNLOAD
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/locale/* /usr/share/info/* /var/cache/debconf/*-old
useradd -m -s /bin/bash -G sudo ` + DeployUser + `
echo '` + DeployUser + `:` + DeployPassword + `' | chpasswd
printf '%s ALL=(ALL) NOPASSWD:ALL\n' ` + DeployUser + ` > /etc/sudoers.d/90-` + DeployUser + `
chmod 0440 /etc/sudoers.d/90-` + DeployUser + `
mkdir -p /etc/ssh/sshd_config.d
# What cloud images ship: a drop-in read before sshd_config, first value wins.
printf 'PasswordAuthentication yes\n' > /etc/ssh/sshd_config.d/50-cloud-init.conf
systemctl enable systemd-networkd
echo vps > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 vps\n' > /etc/hosts
rm -f /var/cache/apt/*.bin
`

// Hash names the image built from the spec.
func (s ImageSpec) Hash() string {
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// CacheDir is where images, the key pair and machine directories live.
func CacheDir() string {
	if d := os.Getenv("HARDEN_TEST_CACHE"); d != "" {
		return d
	}
	return "/var/cache/harden-test"
}

// EnsureImage returns the cached rootfs tarball for spec, building it first
// if no tarball for these inputs exists, with its progress going to logf.
// Concurrent test binaries serialize on a lock file per suite, so images
// of different suites build at once; the tarball appears atomically.
func EnsureImage(ctx context.Context, spec ImageSpec, logf func(string, ...any)) (string, error) {
	dir := CacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(dir, "image-"+spec.Suite+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	tarball := filepath.Join(dir, "rootfs-"+spec.Suite+"-"+spec.Hash()+".tar.zst")
	if _, err := os.Stat(tarball); err == nil {
		return tarball, nil
	}
	start := time.Now()
	name := "rootfs " + spec.Suite
	logf("%s: building %s from %s (debootstrap %s)", name, filepath.Base(tarball), spec.Mirror, spec.Suite)
	if err := buildImage(ctx, spec, dir, tarball, func(format string, args ...any) {
		logf(name+": "+format, args...)
	}); err != nil {
		return "", fmt.Errorf("build rootfs %s: %w", spec.Suite, err)
	}
	logf("%s: built in %s", name, time.Since(start).Round(time.Second))
	// Older images of the suite are dead weight once their inputs changed.
	old, _ := filepath.Glob(filepath.Join(dir, "rootfs-"+spec.Suite+"-*.tar.zst"))
	for _, o := range old {
		if o != tarball {
			os.Remove(o)
		}
	}
	return tarball, nil
}

func buildImage(ctx context.Context, spec ImageSpec, cacheDir, tarball string, logf func(string, ...any)) error {
	root, err := os.MkdirTemp(cacheDir, "build-"+spec.Suite+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	// MkdirTemp makes 0700; the tree's / must be traversable by its users.
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	args := []string{"--variant=" + spec.Variant, "--include=" + strings.Join(spec.Packages, ","),
		spec.Suite, root, spec.Mirror}
	if err := runLogged(ctx, logf, "debootstrap", "debootstrap", args...); err != nil {
		return err
	}
	// The chroot needs name resolution for apt; the image must not keep the
	// host's resolver, so whatever was there is put back afterwards.
	restore, err := tempResolvConf(root)
	if err != nil {
		return err
	}
	logf("setting up the tree, downloading %s", strings.Join(spec.Predownload, " "))
	env := []string{"PREDOWNLOAD=" + strings.Join(spec.Predownload, " "),
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	_, err = runEnv(ctx, env, nil, "chroot", root, "/bin/sh", "-c", spec.Setup)
	if rerr := restore(); err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	logf("compressing")
	return pack(ctx, root, tarball)
}

// pack archives the tree at root as the image tarball; the tarball
// appears whole or not at all.
func pack(ctx context.Context, root, tarball string) error {
	tmp := tarball + ".tmp"
	defer os.Remove(tmp)
	if _, err := run(ctx, nil, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*",
		"-C", root, "-I", "zstd -T0", "-cf", tmp, "."); err != nil {
		return err
	}
	return os.Rename(tmp, tarball)
}

// tempResolvConf puts the host's resolv.conf into the tree and returns a
// function that restores what the tree had (a file, a symlink, or nothing).
func tempResolvConf(root string) (func() error, error) {
	path := filepath.Join(root, "etc/resolv.conf")
	hostConf, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil, err
	}
	saved := path + ".harden-test"
	had := false
	if _, err := os.Lstat(path); err == nil {
		had = true
		if err := os.Rename(path, saved); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(path, hostConf, 0o644); err != nil {
		return nil, err
	}
	return func() error {
		if err := os.Remove(path); err != nil {
			return err
		}
		if had {
			return os.Rename(saved, path)
		}
		return nil
	}, nil
}

// Unpack extracts a fresh copy of the image into dir.
func Unpack(ctx context.Context, tarball, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, err := run(ctx, nil, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*",
		"-C", dir, "-I", "zstd -T0", "-xf", tarball)
	if err != nil {
		return err
	}
	return os.Chmod(dir, 0o755)
}
