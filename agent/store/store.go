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
	"path"

	"harden/modules/host"
)

// Dir is where harden keeps its records on the machine.
const Dir = "/var/lib/harden"

// Store is the state directory of one machine or image. Its records are
// read and written through the host, resolved inside its root like every
// other path: under -root they are the image's, which may have crafted
// them (a link out of the image, a journal that climbs with "..").
type Store struct {
	h   *host.Host
	dir string // a system path under h's root
}

// Of returns the store under a host's root.
func Of(h *host.Host) *Store { return &Store{h: h, dir: Dir} }

// At returns the store in a directory of this machine.
func At(dir string) *Store { return &Store{h: host.New(host.Options{Root: "/"}), dir: dir} }

// Dir is the store's directory as this process sees it.
func (s *Store) Dir() string { return s.h.Path(s.dir) }

// Save writes a JSON record durably.
func (s *Store) Save(name string, v any) error {
	if err := s.ensure(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := s.saveJSON(path.Join(s.dir, name), v); err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// ensure creates the state directory: 0700, as backups and the pending
// profile can hold secrets.
func (s *Store) ensure() error { return s.h.MkdirState(s.dir) }

func (s *Store) saveJSON(p string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return s.h.WriteState(p, append(data, '\n'))
}

// Load reads a JSON record into v; found is false when there is none.
func (s *Store) Load(name string, v any) (found bool, err error) {
	data, err := s.h.ReadFile(path.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("store: %s: %w", s.h.Path(path.Join(s.dir, name)), err)
	}
	return true, nil
}

// Remove deletes a record durably; a missing one is fine.
func (s *Store) Remove(name string) error {
	if err := s.h.RemoveState(path.Join(s.dir, name)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
