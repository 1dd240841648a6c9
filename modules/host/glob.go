package host

import (
	"io/fs"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// Glob expands a pattern of system paths under the root and returns system
// paths, sorted (the order sshd and systemd read drop-ins in). Directories
// are listed inside the root: a symlinked directory in the pattern is
// followed as the system under the root would.
func (h *Host) Glob(pattern string) ([]string, error) {
	j, err := h.jailed()
	if err != nil {
		return nil, err
	}
	matches, err := fs.Glob(rootFS{j}, rel(pattern))
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		matches[i] = "/" + m
	}
	return matches, nil
}

// rootFS is the root as an fs.FS for fs.Glob: names are paths relative to
// the root, resolved inside it.
type rootFS struct{ j *jail }

func (r rootFS) Open(name string) (fs.File, error) {
	fd, err := r.j.open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), r.j.hostPath(name)), nil
}

func (r rootFS) Stat(name string) (fs.FileInfo, error) { return r.j.stat(name) }

// ReadDir lists names and types only (fs.Glob needs no more).
func (r rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	fd, err := r.j.open(name, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(fd), r.j.hostPath(name))
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int {
		switch {
		case a.Name() < b.Name():
			return -1
		case a.Name() > b.Name():
			return 1
		}
		return 0
	})
	return entries, err
}
