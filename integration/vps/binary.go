package vps

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot is the directory holding the repository's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the harden module")
	}
	return filepath.Dir(mod), nil
}

// BuildHarden builds the static harden binary (CGO_ENABLED=0, so it runs on
// the VPS whatever libc the host has) into dir and returns its path.
func BuildHarden(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "harden")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./agent/cmd/harden")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./agent/cmd/harden: %w\n%s", err, b)
	}
	return out, nil
}
