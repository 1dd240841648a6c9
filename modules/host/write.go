package host

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// write.go: changing files under the root. Every change acts on a directory
// handle from the jail's walk, and on the open file: a new file is a temp
// file created exclusively in that directory (never through a symlink),
// given its owner and mode on the descriptor, synced, renamed within the
// directory, and the directory synced. Nothing is changed by path, so a user
// who can write the directory (the node's user owns its data directory) can
// swap in whatever link they like: harden's change stays on harden's file.

// WriteFile replaces a file atomically after journaling its old bytes, mode
// and owner. A nil meta keeps the existing file's mode and owner, or uses
// 0644 root:root for a new file.
func (h *Host) WriteFile(p string, data []byte, meta *FileMeta) error {
	if err := h.journalFile(p); err != nil {
		return err
	}
	j, err := h.jailed()
	if err != nil {
		return err
	}
	m := FileMeta{Mode: 0o644}
	if meta != nil {
		m = *meta
	} else if fi, err := j.lstat(p); err == nil {
		m = metaOf(fi)
	}
	if err := j.writeAtomic(p, data, m); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	h.log.Debug("wrote file", zapPath(p), zapInt("bytes", len(data)))
	return nil
}

// RemoveFile deletes a file after journaling it; a missing file is fine.
func (h *Host) RemoveFile(p string) error {
	if !h.Exists(p) {
		return nil
	}
	if err := h.journalFile(p); err != nil {
		return err
	}
	j, err := h.jailed()
	if err != nil {
		return err
	}
	if err := j.remove(p, 0); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// MkdirAll creates a directory (and missing parents) with the given mode and
// owner, journaling each directory it creates. An existing directory is left
// alone: changing its mode or owner is a separate, journaled Chown.
func (h *Host) MkdirAll(p string, meta FileMeta) error {
	if fi, err := h.Stat(p); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", p)
		}
		return nil
	}
	if parent := path.Dir(p); parent != p {
		if err := h.MkdirAll(parent, FileMeta{Mode: 0o755}); err != nil {
			return err
		}
	}
	if err := h.record(Step{Kind: StepDir, Path: p}); err != nil {
		return err
	}
	j, err := h.jailed()
	if err != nil {
		return err
	}
	if err := j.mkdir(p, meta); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	return nil
}

// Chown sets a path's mode and owner, journaling the old ones. A symlink is
// followed inside the root (a data directory on a volume is the volume's
// directory), unless a user other than root could have put it there.
func (h *Host) Chown(p string, meta FileMeta) error {
	j, err := h.jailed()
	if err != nil {
		return err
	}
	return j.onTarget(p, func(fd int, old FileMeta) error {
		if err := h.record(Step{Kind: StepMeta, Path: p, Meta: old}); err != nil {
			return err
		}
		return setMeta(fd, meta)
	})
}

// journalFile saves a file's current bytes and metadata to the run before
// its first change in this run; later changes to the same path reuse that.
func (h *Host) journalFile(p string) error {
	jr := h.journal
	if jr == nil {
		return errors.New("host: change outside a run (no journal attached)")
	}
	if jr.touched(p) {
		return nil
	}
	j, err := h.jailed()
	if err != nil {
		return err
	}
	step := Step{Kind: StepFile, Path: p}
	data, meta, err := j.readForBackup(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("back up %s: %w", p, err)
	default:
		if step.Backup, err = jr.saveBackup(data); err != nil {
			return fmt.Errorf("back up %s: %w", p, err)
		}
		step.Existed, step.Meta = true, meta
	}
	return h.record(step)
}

// readForBackup reads the file p names itself (a symlink there is an error,
// not followed) with its mode and owner, from one open descriptor.
func (j *jail) readForBackup(p string) ([]byte, FileMeta, error) {
	dir, base, err := j.parent(p)
	if err != nil {
		return nil, FileMeta{}, err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err == unix.ELOOP {
		return nil, FileMeta{}, fmt.Errorf("%s is a symlink, not a regular file", p)
	}
	if err != nil {
		return nil, FileMeta{}, j.pathError("open", p, err)
	}
	defer unix.Close(fd)
	data, err := readRegular(fd, p, MaxReadSize)
	if err != nil {
		return nil, FileMeta{}, err
	}
	fi, err := fstat(fd, p)
	if err != nil {
		return nil, FileMeta{}, err
	}
	return data, metaOf(fi), nil
}

// writeAtomic replaces p with data, mode and owner m (see the file comment).
func (j *jail) writeAtomic(p string, data []byte, m FileMeta) error {
	dir, base, err := j.parent(p)
	if err != nil {
		return err
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	tmp, fd, err := createTemp(dfd, base)
	if err != nil {
		return j.pathError("create", p, err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	err = writeSynced(f, data, m)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dfd, tmp, dfd, base)
	}
	if err != nil {
		_ = unix.Unlinkat(dfd, tmp, 0)
		return err
	}
	return dir.Sync()
}

// createTemp makes ".NAME.harden-NNN" in dir, exclusively: an existing name
// (or a symlink by that name) is never opened.
func createTemp(dfd int, base string) (string, int, error) {
	for range 100 {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		name := tempPrefix(base) + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b)), 10)
		fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == unix.EEXIST {
			continue
		}
		return name, fd, err
	}
	return "", -1, unix.EEXIST
}

func tempPrefix(base string) string { return "." + base + ".harden-" }

// sweepTemps removes the temp files writeAtomic left beside p when the
// process was killed between creating one and renaming it into place: only
// regular files named .NAME.harden-NNN, unlinked within the directory.
func (j *jail) sweepTemps(p string) error {
	dir, base, err := j.parent(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		digits, ok := strings.CutPrefix(name, tempPrefix(base))
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && err != unix.ENOENT {
			errs = append(errs, j.pathError("remove", path.Join(path.Dir(p), name), err))
		}
	}
	return errors.Join(errs...)
}

func writeSynced(f *os.File, data []byte, m FileMeta) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := setMeta(int(f.Fd()), m); err != nil {
		return err
	}
	return f.Sync()
}

// setMeta sets owner, then mode (chown clears setuid/setgid bits), on an
// open descriptor. Only root can give a file away.
func setMeta(fd int, m FileMeta) error {
	if os.Geteuid() == 0 {
		if err := unix.Fchown(fd, m.UID, m.GID); err != nil {
			return err
		}
	}
	return unix.Fchmod(fd, uint32(m.Mode.Perm()))
}

// onTarget opens what p stands for (a symlink followed where trusted, see
// target) without following anything further, and hands fn the descriptor
// and the current mode and owner. Only files and directories qualify.
func (j *jail) onTarget(p string, fn func(fd int, old FileMeta) error) error {
	dir, base, err := j.target(p)
	if err != nil {
		return err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return j.pathError("open", p, err)
	}
	defer unix.Close(fd)
	fi, err := fstat(fd, p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return fmt.Errorf("%s is %s, not a file or directory", p, fileKind(fi.Mode()))
	}
	return fn(fd, metaOf(fi))
}

// setMetaAt gives what p stands for the mode and owner m.
func (j *jail) setMetaAt(p string, m FileMeta) error {
	return j.onTarget(p, func(fd int, _ FileMeta) error { return setMeta(fd, m) })
}

// mkdir creates directory p with meta set on it before anyone else can use it.
func (j *jail) mkdir(p string, meta FileMeta) error {
	dir, base, err := j.parent(p)
	if err != nil {
		return err
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	if err := unix.Mkdirat(dfd, base, 0o700); err != nil {
		return j.pathError("mkdir", p, err)
	}
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return j.pathError("open", p, err)
	}
	err = setMeta(fd, meta)
	unix.Close(fd)
	if err != nil {
		return err
	}
	return dir.Sync()
}

// mkdirAll creates p with mode and its missing parents with 0755, owned by
// this process (harden's own directories: not journaled).
func (j *jail) mkdirAll(p string, mode fs.FileMode) error {
	if fi, err := j.stat(p); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", p)
		}
		return nil
	}
	if parent := path.Dir(path.Clean("/" + p)); parent != "/" {
		if err := j.mkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	err := j.mkdir(p, FileMeta{Mode: mode, UID: os.Geteuid(), GID: os.Getegid()})
	if errors.Is(err, fs.ErrExist) {
		if fi, serr := j.stat(p); serr == nil && fi.IsDir() {
			return nil // made meanwhile
		}
		return fmt.Errorf("mkdir %s: exists and is not a directory (a symlink to a missing directory?)", p)
	}
	return err
}

// remove unlinks p's last component (flags: 0 or AT_REMOVEDIR); a missing
// one is fine.
func (j *jail) remove(p string, flags int) error {
	dir, base, err := j.parent(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := unix.Unlinkat(int(dir.Fd()), base, flags); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return j.pathError("remove", p, err)
	}
	return dir.Sync()
}

// symlink makes p a symlink to target (kept as written: inside the root, an
// absolute target means the root's own path).
func (j *jail) symlink(target, p string) error {
	dir, base, err := j.parent(p)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := unix.Symlinkat(target, int(dir.Fd()), base); err != nil {
		return j.pathError("symlink", p, err)
	}
	return nil
}
