package vps

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// InstallPackages installs Debian packages into a machine's tree before it
// boots (call it from Options.Prepare), the way a provider bakes them into
// its image: apt-get in a chroot, from the mirror the image was built from.
// For the time of the install the tree gets the host's resolver and a
// policy-rc.d that keeps maintainer scripts from starting services; both
// are put back as they were. The package files are kept in
// CacheDir()/debs/<the tree's suite>/<cache> (shared by test binaries,
// under a lock), so a later run downloads only what changed on the mirror.
func InstallPackages(ctx context.Context, root, cache string, packages ...string) error {
	osRelease, err := os.ReadFile(filepath.Join(root, "etc/os-release"))
	if err != nil {
		return fmt.Errorf("install %s into the tree: %w", strings.Join(packages, " "), err)
	}
	suite := osReleaseField(osRelease, "VERSION_CODENAME")
	if suite == "" {
		return fmt.Errorf("install %s into the tree: no VERSION_CODENAME in its os-release", strings.Join(packages, " "))
	}
	cacheDir := filepath.Join(CacheDir(), "debs", suite, cache)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(cacheDir + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	archives := filepath.Join(root, "var/cache/apt/archives")
	had, err := debsIn(archives)
	if err != nil {
		return err
	}
	cached, err := debsIn(cacheDir)
	if err != nil {
		return err
	}
	for name := range cached {
		if !had[name] {
			if err := copyFile(filepath.Join(cacheDir, name), filepath.Join(archives, name)); err != nil {
				return err
			}
		}
	}

	restoreResolver, err := tempResolvConf(root)
	if err != nil {
		return err
	}
	restorePolicy, err := denyServiceStarts(root)
	if err != nil {
		restoreResolver()
		return err
	}
	err = aptInstall(ctx, root, packages)
	if rerr := restorePolicy(); err == nil {
		err = rerr
	}
	if rerr := restoreResolver(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("install %s into the tree: %w", strings.Join(packages, " "), err)
	}

	// Keep what apt used for the next run; the tree keeps only what it had.
	now, err := debsIn(archives)
	if err != nil {
		return err
	}
	for name := range now {
		if had[name] {
			continue
		}
		if !cached[name] {
			if err := copyFile(filepath.Join(archives, name), filepath.Join(cacheDir, name)); err != nil {
				return err
			}
		}
		if err := os.Remove(filepath.Join(archives, name)); err != nil {
			return err
		}
	}
	return nil
}

// aptInstall runs apt-get install in the chroot; if the image's package
// lists name versions the mirror no longer has, it updates them and tries
// once more. dpkg skips fsync: the tree lives as long as one test.
func aptInstall(ctx context.Context, root string, packages []string) error {
	env := []string{"DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	install := append([]string{root, "apt-get", "install", "-y", "-q",
		"-o", "Dpkg::Options::=--force-unsafe-io"}, packages...)
	_, err := runEnv(ctx, env, nil, "chroot", install...)
	if err == nil {
		return nil
	}
	if _, uerr := runEnv(ctx, env, nil, "chroot", root, "apt-get", "update", "-q"); uerr != nil {
		return fmt.Errorf("%w\nafter which apt-get update failed too: %v", err, uerr)
	}
	_, err = runEnv(ctx, env, nil, "chroot", install...)
	return err
}

// denyServiceStarts installs a policy-rc.d refusing every service action
// (invoke-rc.d and deb-systemd-invoke ask it) and returns what removes it.
// A tree that already has one keeps it.
func denyServiceStarts(root string) (func() error, error) {
	path := filepath.Join(root, "usr/sbin/policy-rc.d")
	if _, err := os.Lstat(path); err == nil {
		return func() error { return nil }, nil
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n# No service starts while packages go into an image.\nexit 101\n"), 0o755); err != nil {
		return nil, err
	}
	return func() error { return os.Remove(path) }, nil
}

// debsIn lists the .deb files in dir.
func debsIn(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	debs := map[string]bool{}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".deb") {
			debs[e.Name()] = true
		}
	}
	return debs, nil
}

// copyFile copies src to dst through a temporary file, so a reader never
// sees half a package.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}
