package vps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PackageOverlay returns a tarball of what installing packages adds to the
// image (every file the install created or changed), built the first time
// and cached beside the image. Unpacking it over a machine's fresh tree
// (Unpack, from Options.Prepare) bakes the packages in as a provider's
// image would, in about a second; an install per machine spends half a
// minute in dpkg and its triggers (python3 byte-compiles its library).
func PackageOverlay(ctx context.Context, image string, packages ...string) (string, error) {
	sum := sha256.Sum256([]byte(filepath.Base(image) + "\x00" + strings.Join(packages, "\x00")))
	tarball := filepath.Join(CacheDir(), "overlay-"+hex.EncodeToString(sum[:])[:16]+".tar.zst")
	unlock, err := lockFile(tarball + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(tarball); err == nil {
		return tarball, nil
	}
	if err := buildOverlay(ctx, image, tarball, packages); err != nil {
		return "", fmt.Errorf("overlay of %s: %w", strings.Join(packages, " "), err)
	}
	return tarball, nil
}

// buildOverlay installs packages into a copy of the image and archives
// what changed: the paths whose inode changed after a marker was made
// (ctime, which dpkg cannot set back as it does mtime).
func buildOverlay(ctx context.Context, image, tarball string, packages []string) error {
	root, err := os.MkdirTemp(CacheDir(), "overlay-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := Unpack(ctx, image, root); err != nil {
		return err
	}
	marker := filepath.Join(root, ".overlay-marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	// Files created in the same clock tick as the marker would not count
	// as newer.
	time.Sleep(20 * time.Millisecond)
	if err := InstallPackages(ctx, root, "overlay", packages...); err != nil {
		return err
	}
	// stdout alone: a warning on stderr is no path.
	changed, err := exec.CommandContext(ctx, "find", root, "-mindepth", "1", "-xdev", "-cnewer", marker,
		"!", "-path", marker, "-printf", "%P\\n").Output()
	if err != nil {
		return fmt.Errorf("find what the install changed: %w", err)
	}
	list := filepath.Join(root, ".overlay-list")
	if err := os.WriteFile(list, changed, 0o644); err != nil {
		return err
	}
	tmp := tarball + ".tmp"
	defer os.Remove(tmp)
	if _, err := run(ctx, nil, "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--no-recursion",
		"-C", root, "-T", list, "-I", "zstd -T0", "-cf", tmp); err != nil {
		return err
	}
	return os.Rename(tmp, tarball)
}
