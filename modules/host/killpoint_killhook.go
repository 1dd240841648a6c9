//go:build killhook

package host

import (
	"fmt"
	"os"
	"syscall"
)

// In a binary built with -tags killhook (the kill test's own build, never a
// release), HARDEN_KILL_AT=after:N kills the process with SIGKILL right
// after the Nth journal step is written (before its change is made), and
// HARDEN_KILL_AT=before:N right before step N+1 is written (after the Nth
// change is made).
func init() {
	at := os.Getenv("HARDEN_KILL_AT")
	if at == "" {
		return
	}
	killPoint = func(stage string, steps int) {
		if at == fmt.Sprintf("%s:%d", stage, steps) {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
}
