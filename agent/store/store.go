// Package store keeps harden's own records under its state directory
// (/var/lib/harden on the machine, or under -root): the runs (plan, journal,
// backups, result), the pending confirmation the boot-time rollback reads,
// the last drift check, and the lock every changing verb takes.
//
// Every record is written as managed files are: a temp file in the same
// directory, fsync, rename, fsync of the directory. A crash leaves the old
// record or the new one, never a torn or a vanished one.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"harden/modules/host"
)

// Dir is where harden keeps its records on the machine.
const Dir = "/var/lib/harden"

// Store is the state directory of one machine or image.
type Store struct{ dir string }

// Of returns the store under a host's root.
func Of(h *host.Host) *Store { return At(h.Path(Dir)) }

// At returns the store in a directory.
func At(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory as this process sees it.
func (s *Store) Dir() string { return s.dir }

// Save writes a JSON record durably.
func (s *Store) Save(name string, v any) error {
	if err := s.ensure(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := saveJSON(filepath.Join(s.dir, name), v); err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// ensure creates the state directory: 0700, as backups and the pending
// profile can hold secrets.
func (s *Store) ensure() error { return mkdirDurable(s.dir, 0o700) }

// Load reads a JSON record into v; found is false when there is none.
func (s *Store) Load(name string, v any) (found bool, err error) {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("store: %s: %w", filepath.Join(s.dir, name), err)
	}
	return true, nil
}

// Remove deletes a record durably; a missing one is fine.
func (s *Store) Remove(name string) error {
	err := os.Remove(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return syncDir(s.dir)
}
