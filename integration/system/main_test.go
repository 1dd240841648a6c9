//go:build system

// Package system holds the system test tier: every scenario runs the real
// harden binary on a freshly booted VPS (systemd-nspawn, its own network)
// of every release of the run (vps.Releases: Debian 12, Debian 13, Debian 13
// with socket-activated sshd) and judges the result from the host. Run as
// root:
//
//	go test -tags system -count=1 -timeout 40m ./integration/system/...
package system

import (
	"os"
	"testing"

	"harden/integration/vps"
)

// TestMain checks that the suite leaves the host as it found it: no
// ruleset change, no new listening socket, no machine left behind.
func TestMain(m *testing.M) {
	os.Exit(vps.RunSuite(m, "system tier", 22, newPort))
}
