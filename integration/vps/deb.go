package vps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildDeb builds harden's package of version with packaging/build-deb.sh
// (as `make deb` does) into outDir and returns its absolute path.
func BuildDeb(ctx context.Context, outDir, version string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "sh", "packaging/build-deb.sh", outDir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION="+version)
	b, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			b = append(b, exit.Stderr...)
		}
		return "", fmt.Errorf("build-deb.sh: %w\n%s", err, b)
	}
	f := strings.TrimSpace(string(b))
	if base := filepath.Base(f); !strings.HasPrefix(base, "harden_"+version+"_") || !strings.HasSuffix(base, ".deb") {
		return "", fmt.Errorf("build-deb.sh made %q, not harden_%s_ARCH.deb", f, version)
	}
	if !filepath.IsAbs(f) {
		f = filepath.Join(root, f)
	}
	return f, nil
}
