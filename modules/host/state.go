package host

import (
	"os"

	"golang.org/x/sys/unix"
)

// Harden's own records (runs, pending confirmation, drift, the lock) live
// under the root too, and under -root the image may have crafted them: they
// are read with ReadFile and ReadDir and changed with the calls below, all
// resolved inside the root. They are not journaled: a rollback leaves
// harden's history in place.

// MkdirState creates directory p (mode 0700: records can hold secrets) and
// its missing parents (0755), each made durable in its parent.
func (h *Host) MkdirState(p string) error {
	j, err := h.jailed()
	if err != nil {
		return err
	}
	return j.mkdirAll(p, 0o700)
}

// WriteState replaces record p atomically (temp file, fsync, rename, fsync
// of the directory), mode 0600. Its directory must exist.
func (h *Host) WriteState(p string, data []byte) error {
	j, err := h.jailed()
	if err != nil {
		return err
	}
	return j.writeAtomic(p, data, FileMeta{Mode: 0o600, UID: os.Geteuid(), GID: os.Getegid()})
}

// RemoveState deletes record p durably; a missing one is fine.
func (h *Host) RemoveState(p string) error {
	j, err := h.jailed()
	if err != nil {
		return err
	}
	return j.remove(p, 0)
}

// OpenState opens record p with flag (O_CREATE makes it 0600), never
// through a symlink in its place: a file harden keeps open, such as a lock.
func (h *Host) OpenState(p string, flag int) (*os.File, error) {
	j, err := h.jailed()
	if err != nil {
		return nil, err
	}
	dir, base, err := j.parent(p)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, j.pathError("open", p, err)
	}
	return os.NewFile(uintptr(fd), j.hostPath(p)), nil
}
