package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"syscall"
	"time"
)

// lockFile is the lock every verb that changes the machine takes (apply,
// rollback, confirm, the rollback timer): two harden processes interleaving
// their changes and journals leave a machine no rollback restores.
const lockFile = "lock"

// Holder is who holds the lock, as the holder wrote it into the lock file.
type Holder struct {
	PID   int       `json:"pid"`
	Verb  string    `json:"verb"`
	Since time.Time `json:"since"`
}

func (h *Holder) String() string {
	if h == nil || h.PID == 0 {
		return "another harden process (it has not said which yet)"
	}
	return fmt.Sprintf("pid %d (%s) since %s", h.PID, h.Verb, h.Since.Local().Format("15:04:05 MST"))
}

// Lock is the held lock; the kernel lets go of it when the process ends,
// however it ends, so a killed run never leaves the machine locked.
type Lock struct{ f *os.File }

// pollEvery is how often a waiting Lock tries again.
const pollEvery = 50 * time.Millisecond

// Lock takes the state directory's lock for verb, waiting up to wait for
// another holder to finish; after that (or when ctx ends) it fails naming
// the holder.
func (s *Store) Lock(ctx context.Context, verb string, wait time.Duration) (*Lock, error) {
	if err := s.ensure(); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := s.h.OpenState(path.Join(s.dir, lockFile), os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			holder, _ := s.Holder()
			return nil, fmt.Errorf("another harden is changing this machine: %s; waited %s: "+
				"run this again once it is done (lock: %s)", holder, wait.Round(time.Millisecond), f.Name())
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery):
		}
	}
	if err := writeHolder(f, Holder{PID: os.Getpid(), Verb: verb, Since: time.Now()}); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return &Lock{f: f}, nil
}

// writeHolder says who holds the lock, in place: the lock file's inode is
// what is locked, so it is never replaced.
func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(data, '\n'), 0)
	return err
}

// Release lets go of the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}

// Holder returns who holds the lock now, or nil when nobody does.
func (s *Store) Holder() (*Holder, error) {
	f, err := s.h.OpenState(path.Join(s.dir, lockFile), os.O_RDONLY)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A shared lock is granted only when nobody holds the exclusive one.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		return nil, nil
	}
	var h Holder
	data := make([]byte, 512)
	n, _ := f.ReadAt(data, 0)
	_ = json.Unmarshal(data[:n], &h)
	return &h, nil
}
