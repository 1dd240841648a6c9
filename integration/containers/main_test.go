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
	"fmt"
	"os"
	"testing"

	"harden/integration/vps"
)

// listener is the static tcplisten binary put into the container images.
var listener string

// TestMain builds the listener and checks that the suite leaves the host as
// it found it: no ruleset change, no new listening socket, no machine left.
func TestMain(m *testing.M) {
	if vps.Unsupported() != "" {
		os.Exit(m.Run()) // each test skips with the reason
	}
	tmp, err := os.MkdirTemp("", "harden-containers-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "containers: %v\n", err)
		os.Exit(1)
	}
	listener, err = vps.BuildStatic(context.Background(), tmp, "tcplisten", "./integration/nodes/cmd/tcplisten")
	if err != nil {
		fmt.Fprintf(os.Stderr, "containers: %v\n", err)
		os.Exit(1)
	}
	code := vps.RunSuite(m, "containers", 22, gossipPort, apiPort, strayPort)
	os.RemoveAll(tmp)
	os.Exit(code)
}
