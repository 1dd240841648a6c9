//go:build system

// Package system holds the system test tier: every scenario runs the real
// harden binary on a freshly booted Debian 12 VPS (systemd-nspawn, its own
// network) and judges the result from the host. Run as root:
//
//	go test -tags system -count=1 -timeout 40m ./integration/system/...
package system

import (
	"fmt"
	"os"
	"testing"

	"harden/integration/vps"
)

// TestMain checks that the suite leaves the host as it found it: no
// ruleset change, no new listening socket, no machine left behind.
func TestMain(m *testing.M) {
	if reason := vps.Unsupported(); reason != "" {
		// Each test skips with this reason; nothing to check on the host.
		os.Exit(m.Run())
	}
	before, err := vps.SnapshotHost(22, newPort)
	if err != nil {
		fmt.Fprintf(os.Stderr, "system tier: snapshot host: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	vps.Close()
	after, err := vps.SnapshotHost(22, newPort)
	if err != nil {
		fmt.Fprintf(os.Stderr, "system tier: snapshot host: %v\n", err)
		os.Exit(1)
	}
	if diff := before.Diff(after); diff != "" {
		fmt.Fprintf(os.Stderr, "system tier changed the host:\n%s", diff)
		code = 1
	}
	if left := vps.LeftOvers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "system tier left behind: %v\n", left)
		code = 1
	}
	os.Exit(code)
}
