package cli

import (
	"errors"
	"fmt"

	"harden/agent/engine"
)

// withRollbackHint tells, after an apply refused for an interrupted run,
// the command that clears it on this machine (or image).
func withRollbackHint(err error, root string) error {
	var cut *engine.InterruptedError
	if !errors.As(err, &cut) {
		return err
	}
	return fmt.Errorf("%w.\nRoll it back first with `%s` (it takes the interrupted run and restores what it "+
		"changed), then apply again", err, commandLine(root, "rollback"))
}
