//go:build system

// Package nodes holds system-tier scenarios for the built-in node profiles
// (iri-node, iri-public-node, iota-public-fullnode): each boots a fresh VPS
// of every release of the run, runs the real harden binary on it the
// operator's way, and judges the result from the host, across reboots where
// the scenario needs one. Run as root:
//
//	go test -tags system -count=1 -timeout 40m ./integration/nodes/...
package nodes

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"harden/integration/vps"
)

// listener is the static tcplisten binary, built once for all scenarios;
// iotaNode the iota-node stand-in (integration/iotastub).
var listener, iotaNode string

// TestMain builds the listener and checks that the suite leaves the host as
// it found it: no ruleset change, no new listening socket, no machine left.
func TestMain(m *testing.M) {
	if vps.Unsupported() != "" {
		os.Exit(m.Run()) // each test skips with the reason
	}
	tmp, err := os.MkdirTemp("", "harden-nodes-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "nodes: %v\n", err)
		os.Exit(1)
	}
	if listener, err = buildListener(tmp); err == nil {
		iotaNode, err = vps.BuildStatic(context.Background(), tmp, "iota-node", "./integration/iotastub/cmd/iotastub")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "nodes: %v\n", err)
		os.Exit(1)
	}
	code := vps.RunSuite(m, "nodes", 22, sshPort, gossipPort, apiPort, proxyPort, strayPort,
		iotaRPCPort, iotaGatewayPort, iotaMetricsPort, iotaGRPCPort)
	os.RemoveAll(tmp)
	os.Exit(code)
}

func buildListener(dir string) (string, error) {
	root, err := vps.ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "tcplisten")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", out, "./integration/nodes/cmd/tcplisten")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build tcplisten: %w\n%s", err, b)
	}
	return out, nil
}
