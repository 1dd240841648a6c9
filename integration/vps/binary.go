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
	return BuildStatic(ctx, dir, "harden", "./agent/cmd/harden")
}

// BuildStatic builds the module's package pkg as a static binary named
// name in dir (for the VPS: a test's listener, the stand-in node).
func BuildStatic(ctx context.Context, dir, name, pkg string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}
