//go:build system

package nodes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// node is a booted VPS of the node scenarios.
type node struct {
	*vps.Machine
	t *testing.T
}

// bootNode boots a fresh VPS of rel and puts the tcplisten binary in it.
func bootNode(t *testing.T, rel vps.Release) *node {
	t.Helper()
	m := vps.Boot(t, vps.Options{Release: rel})
	data, err := os.ReadFile(listener)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.Dir, "usr/local/bin/tcplisten"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return &node{Machine: m, t: t}
}

// sh runs a shell command line inside the VPS with the container's own
// privileges (through its systemd), not through ssh: the console path.
func (n *node) sh(script string) vps.Result { return n.Shell(script) }

// mustSh is sh that fails the test unless the command exits with one of ok
// (default 0).
func (n *node) mustSh(script string, ok ...int) vps.Result {
	n.t.Helper()
	r := n.sh(script)
	n.Expect(r, ok...)
	return r
}

// waitFor calls f every 100ms until it returns nil or limit passes.
func waitFor(limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitGreeting waits until port greets with a line starting with prefix.
func (n *node) waitGreeting(port int, prefix string, limit time.Duration) error {
	return waitFor(limit, func() error {
		line, err := n.Banner(port)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, prefix) {
			return fmt.Errorf("port %d greets with %q", port, line)
		}
		return nil
	})
}

// waitUnreachable waits until port cannot be reached from the host.
func (n *node) waitUnreachable(port int, limit time.Duration) error {
	return waitFor(limit, func() error {
		if line, err := n.Banner(port); err == nil {
			return fmt.Errorf("port %d still answers %q", port, line)
		}
		return nil
	})
}
