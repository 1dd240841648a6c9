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
	code := vps.RunSuite(m, "containers", 22, gossipPort, apiPort, strayPort, sshPort, proxyPort, iotaRPCPort, iotaGatewayPort, iotaMetricsPort)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string
	built     map[string]string // name -> static binary
	buildErr  error
)

// staticBinaries are what the container images hold besides busybox: the
// test listener and the IRI and iota-node stand-ins.
var staticBinaries = map[string]string{
	"tcplisten": "./integration/nodes/cmd/tcplisten",
	"iristub":   "./integration/iristub/cmd/iristub",
	"iotastub":  "./integration/iotastub/cmd/iotastub",
}

// binaries builds the static binaries once for the suite and returns them
// by name.
func binaries(t *testing.T) map[string]string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "harden-containers-"); buildErr != nil {
			return
		}
		built = map[string]string{}
		for name, pkg := range staticBinaries {
			if built[name], buildErr = vps.BuildStatic(context.Background(), buildDir, name, pkg); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("containers: %v", buildErr)
	}
	return built
}
