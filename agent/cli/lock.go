package cli

import (
	"context"
	"fmt"
	"time"

	"harden/agent/store"
)

// lockWait is how long a verb that changes the machine waits for another
// harden to finish before it gives up: long enough for a confirm or a short
// rollback, short enough that nobody wonders whether harden hangs.
var lockWait = 5 * time.Second

// pendingLockWait is how long the rollback timer (and the boot-time unit)
// waits: an unconfirmed change must be rolled back even when another apply
// (of modules that need no confirm) is running at the deadline, so it waits
// for that apply to end rather than give up.
const pendingLockWait = 15 * time.Minute

func rollbackLockWait(pendingOnly bool) time.Duration {
	if pendingOnly {
		return pendingLockWait
	}
	return lockWait
}

// lockMachine takes the state directory's lock for a verb that changes the
// machine; ok is false after it has reported who holds it.
func lockMachine(ctx context.Context, io IO, s *session, verb string, wait time.Duration) (*store.Lock, bool) {
	l, err := store.Of(s.host).Lock(ctx, verb, wait)
	if err != nil {
		fail(io, fmt.Errorf("%s: %w", verb, err))
		return nil, false
	}
	return l, true
}
