package host

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// files.go: reading files under the root. Every path is resolved inside the
// root (jail.go); nothing here follows a symlink out of it.

// FileMeta is a file's mode and owner.
type FileMeta struct {
	Mode fs.FileMode `json:"mode"`
	UID  int         `json:"uid"`
	GID  int         `json:"gid"`
}

// MaxReadSize caps what ReadFile reads: harden's inputs are config files; a
// path that leads to something huge is a mistake, not an input.
const MaxReadSize = 64 << 20

// jailed is the root every path is resolved in, opened on first use.
func (h *Host) jailed() (*jail, error) {
	h.jailOnce.Do(func() { h.jail, h.jailErr = openJail(h.root) })
	return h.jail, h.jailErr
}

// ReadFile reads a regular file under the root (at most MaxReadSize bytes).
func (h *Host) ReadFile(p string) ([]byte, error) { return h.ReadFileLimit(p, MaxReadSize) }

// ReadFileLimit reads a regular file under the root of at most limit bytes.
// A directory, a FIFO, a device or a bigger file is an error naming p and
// what it is, at once: a FIFO is never waited on, /dev/zero never drained.
func (h *Host) ReadFileLimit(p string, limit int64) ([]byte, error) {
	j, err := h.jailed()
	if err != nil {
		return nil, err
	}
	fd, err := j.open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readRegular(fd, p, limit)
}

// ReadLocalFile reads a regular file of at most limit bytes from the
// operator's own filesystem, not under the root (a profile, a -var-file),
// with ReadFileLimit's checks: a FIFO is never waited on, a device never
// drained. A missing file is an error wrapping fs.ErrNotExist.
func ReadLocalFile(p string, limit int64) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	return readRegular(fd, p, limit)
}

// readRegular reads an open file that must be regular and at most limit
// bytes (a /proc file says size 0: the limit holds while reading too).
func readRegular(fd int, p string, limit int64) ([]byte, error) {
	fi, err := fstat(fd, p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", p, fileKind(fi.Mode()))
	}
	tooBig := func() error {
		return fmt.Errorf("%s is larger than %d bytes, more than harden reads from it", p, limit)
	}
	if fi.Size() > limit {
		return nil, tooBig()
	}
	data := make([]byte, 0, fi.Size()+512)
	for int64(len(data)) <= limit {
		if len(data) == cap(data) {
			data = slices.Grow(data, 4096)
		}
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if n == 0 {
			break
		}
		data = data[:len(data)+n]
	}
	if int64(len(data)) > limit {
		return nil, tooBig()
	}
	return data, nil
}

// Stat stats a system path under the root (following symlinks inside it).
func (h *Host) Stat(p string) (fs.FileInfo, error) {
	j, err := h.jailed()
	if err != nil {
		return nil, err
	}
	return j.stat(p)
}

// Exists reports whether a system path exists under the root (a symlink
// counts, wherever it points).
func (h *Host) Exists(p string) bool {
	j, err := h.jailed()
	if err != nil {
		return false
	}
	_, err = j.lstat(p)
	return err == nil
}

// Meta returns a file's mode and owner (following symlinks inside the root).
func (h *Host) Meta(p string) (FileMeta, error) {
	fi, err := h.Stat(p)
	if err != nil {
		return FileMeta{}, err
	}
	return metaOf(fi), nil
}

// ReadDir lists a directory under the root, sorted by name; each entry is
// described as it is (a symlink as a symlink).
func (h *Host) ReadDir(p string) ([]fs.FileInfo, error) {
	j, err := h.jailed()
	if err != nil {
		return nil, err
	}
	fd, err := j.open(p, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(fd), j.hostPath(p))
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]fs.FileInfo, 0, len(names))
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // gone meanwhile
		}
		out = append(out, &statInfo{name: name, st: syscallStat(st)})
	}
	return out, nil
}

func metaOf(fi fs.FileInfo) FileMeta {
	m := FileMeta{Mode: fi.Mode().Perm()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		m.UID, m.GID = int(st.Uid), int(st.Gid)
	}
	return m
}

func fstat(fd int, p string) (fs.FileInfo, error) {
	info := &statInfo{name: p}
	if err := syscall.Fstat(fd, &info.st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: err}
	}
	return info, nil
}

// statInfo is an fs.FileInfo from a stat of an open handle; Sys is the
// *syscall.Stat_t, as with os.Stat.
type statInfo struct {
	name string
	st   syscall.Stat_t
}

func (s *statInfo) Name() string       { return filepath.Base(s.name) }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

// Mode is os.Stat's mode for the same stat.
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if s.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// syscallStat is the same stat as os.Stat's Sys() gives it.
func syscallStat(u unix.Stat_t) syscall.Stat_t {
	return syscall.Stat_t{Dev: u.Dev, Ino: u.Ino, Nlink: u.Nlink, Mode: u.Mode, Uid: u.Uid, Gid: u.Gid,
		Rdev: u.Rdev, Size: u.Size, Blksize: u.Blksize, Blocks: u.Blocks,
		Atim: syscall.Timespec(u.Atim), Mtim: syscall.Timespec(u.Mtim), Ctim: syscall.Timespec(u.Ctim)}
}
