package engine

import (
	"fmt"

	"harden/agent/store"
)

// InterruptedError is an apply refused because an earlier run was cut off
// while applying (killed, a power cut): the machine is half changed, and
// planning on top of that would make a run no rollback can undo cleanly.
type InterruptedError struct{ Run store.Result }

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("run %s was interrupted while applying (started %s): its changes may be half made",
		e.Run.ID, e.Run.Started.Local().Format("2006-01-02 15:04:05 MST"))
}

// CheckInterrupted returns an *InterruptedError when a run was cut off
// while applying. The caller holds the state directory's lock, so a run
// still "applying" belongs to no live process.
func (e *Engine) CheckInterrupted() error {
	cut, err := store.Of(e.Host).Runs().Interrupted()
	if err != nil {
		return err
	}
	if cut != nil {
		return &InterruptedError{Run: *cut}
	}
	return nil
}
