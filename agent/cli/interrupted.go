package cli

import (
	"errors"
	"fmt"
	"io"

	"harden/agent/engine"
	"harden/agent/store"
	"harden/modules/host"
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

// describeActivity says whether a harden is changing the machine right now,
// and whether a run was cut off while applying: the holder of the lock is
// running; a run "applying" with nobody holding it was interrupted.
func describeActivity(w io.Writer, h *host.Host, root string) error {
	st := store.Of(h)
	holder, err := st.Holder()
	if err != nil {
		return err
	}
	if holder != nil {
		fmt.Fprintf(w, "In progress: harden, %s.\n", holder)
		return nil
	}
	cut, err := st.Runs().Interrupted()
	if err != nil || cut == nil {
		return err
	}
	fmt.Fprintf(w, "INTERRUPTED: run %s was cut off while applying (started %s): its changes may be half made.\n"+
		"  Apply refuses until it is rolled back: %s\n",
		cut.ID, cut.Started.Local().Format("2006-01-02 15:04:05 MST"), commandLine(root, "rollback"))
	return nil
}
