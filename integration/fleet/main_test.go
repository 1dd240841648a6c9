//go:build system

// Package fleet is the system tier for many nodes: Debian's ansible on the
// host drives the role in packaging/ansible across several booted VPSes at
// once, through harden's commit-confirmed flow (apply, reconnect on the new
// SSH port over a new connection, confirm there), and one host that cannot
// be reached again rolls back by itself. Run as root:
//
//	go test -tags system -count=1 -timeout 10m -v ./integration/fleet/...
//
// With HARDEN_PERF=1 (make bench), TestFleetWallTime measures the play for
// one host against three.
package fleet

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"harden/integration/vps"
)

// fleetSize is how many machines the fleet scenario runs at once.
const fleetSize = 3

// debDir holds the .deb the role installs.
var debDir string

// TestMain lets the harness run the fleet's machines at once and checks
// that the suite leaves the host as it found it.
func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv("HARDEN_TEST_PARALLEL")); err != nil || n < fleetSize {
		os.Setenv("HARDEN_TEST_PARALLEL", fmt.Sprint(fleetSize))
	}
	var err error
	if debDir, err = os.MkdirTemp("", "harden-fleet-deb-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := vps.RunSuite(m, "fleet", 22, sshPort)
	os.RemoveAll(debDir)
	os.Exit(code)
}
