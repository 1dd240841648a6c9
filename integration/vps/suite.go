package vps

import (
	"fmt"
	"os"
	"testing"
)

// RunSuite runs a test binary's tests and checks that they leave the host
// as they found it: no ruleset change, no new listener on the given ports
// (or any port, see SnapshotHost), no machine left behind. It returns the
// exit code for os.Exit. Where the host cannot boot machines, the tests run
// (each skips with the reason) and nothing is checked.
func RunSuite(m *testing.M, suite string, ports ...int) int {
	if Unsupported() != "" {
		return m.Run()
	}
	before, err := SnapshotHost(ports...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: snapshot host: %v\n", suite, err)
		return 1
	}
	code := m.Run()
	Close()
	after, err := SnapshotHost(ports...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: snapshot host: %v\n", suite, err)
		return 1
	}
	if diff := before.Diff(after); diff != "" {
		fmt.Fprintf(os.Stderr, "%s changed the host:\n%s", suite, diff)
		code = 1
	}
	if left := LeftOvers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "%s left behind: %v\n", suite, left)
		code = 1
	}
	return code
}
