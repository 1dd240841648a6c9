//go:build system

// Package perf measures harden's speed and footprint on the booted Debian
// VPS of the system tier: first apply, converged plan and apply, exec calls
// per plan, binary and .deb size, and plan time as the firewall grows. It
// prints figures and their ratio to the targets; it never fails on a time.
// It runs only with HARDEN_PERF=1 (make bench), as root:
//
//	HARDEN_PERF=1 go test -tags system -count=1 -v -run TestPerfReport ./integration/perf/
package perf

import (
	"os"
	"testing"

	"harden/integration/vps"
)

// TestMain checks that the measurements leave the host as they found it.
func TestMain(m *testing.M) {
	if os.Getenv("HARDEN_PERF") != "1" {
		os.Exit(m.Run()) // TestPerfReport skips; nothing to check
	}
	os.Exit(vps.RunSuite(m, "perf", 22, sshPort))
}
