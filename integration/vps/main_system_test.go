//go:build system

package vps_test

import (
	"os"
	"testing"

	"harden/integration/vps"
)

// TestMain runs the harness's own system-tier checks with the same
// host-untouched check as every suite that boots machines.
func TestMain(m *testing.M) {
	os.Exit(vps.RunSuite(m, "vps harness", 22, movedSSHPort))
}
