//go:build system

// Package containers holds system-tier scenarios of a node that runs in a
// Docker container: each boots a fresh VPS with Debian's Docker
// (vps.Options.Docker), builds its container images offline from static
// binaries (docker import), runs harden on it the operator's way, and
// judges from the host what reaches the containers and what they reach.
// Run as root:
//
//	go test -tags system -count=1 -timeout 40m ./integration/containers/...
package containers

import (
	"context"
	"os"
	"sync"
	"testing"

	"harden/integration/vps"
)

// TestMain checks that the suite leaves the host as it found it: no
// ruleset change, no new listening socket, no machine left.
func TestMain(m *testing.M) {
	code := vps.RunSuite(m, "containers", 22, gossipPort, apiPort, strayPort)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string
	listener  string
	buildErr  error
)

// tcplisten is the static tcplisten binary put into the container images,
// built once for the suite.
func tcplisten(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "harden-containers-"); buildErr == nil {
			listener, buildErr = vps.BuildStatic(context.Background(), buildDir, "tcplisten", "./integration/nodes/cmd/tcplisten")
		}
	})
	if buildErr != nil {
		t.Fatalf("containers: %v", buildErr)
	}
	return listener
}
