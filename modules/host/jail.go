package host

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// jail.go: every path harden opens is resolved inside the host's root, the
// way the system under it would resolve it once booted: an absolute symlink
// starts again at the root, ".." stops at the root. An image whose /etc/ssh
// points at /etc therefore means the image's /etc, never the build
// machine's. Under the live root "/" this is ordinary path resolution.
//
// Reads take one openat2(RESOLVE_IN_ROOT) call where the kernel has it
// (Linux 5.6) and a walk otherwise. Changes always walk, one component at a
// time from the root, because they also refuse to follow a symlink found in
// a directory another user can write (see trusted): that user could swap
// the link between harden's look and harden's write. Every change then acts
// on the directory handle the walk returned, never on a path again.
//
// os.Root is not used: it refuses absolute symlinks, which images and live
// machines alike are full of (/etc/systemd/system aliases, a data directory
// on a volume).
//
// Known limit: a directory moved out of the root while a walk holds it
// (a live process on the build machine racing harden under -root) is not
// detected; images are not live.

// jail is a root directory and the handle everything is resolved from.
type jail struct {
	root  string   // the root on the machine harden runs on
	dir   *os.File // the root directory, O_PATH
	owner uint32   // the root directory's owner, trusted like root
}

func openJail(root string) (*jail, error) {
	dir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(dir.Fd()), &st); err != nil {
		dir.Close()
		return nil, fmt.Errorf("open root: %w", err)
	}
	return &jail{root: root, dir: dir, owner: st.Uid}, nil
}

func (j *jail) fd() int { return int(j.dir.Fd()) }

// rel turns a system path into one relative to the root ("." for the root).
// The lexical clean keeps ".." from climbing; the walk does the rest.
func rel(p string) string {
	r := strings.TrimPrefix(filepath.Clean("/"+p), "/")
	if r == "" {
		return "."
	}
	return r
}

// hostPath is p on the machine harden runs on, for messages.
func (j *jail) hostPath(p string) string { return filepath.Join(j.root, rel(p)) }

func (j *jail) pathError(op, p string, err error) error {
	return &fs.PathError{Op: op, Path: j.hostPath(p), Err: err}
}

// openat2Usable says whether the kernel resolves in a root itself (not on
// kernels before 5.6, nor where a seccomp filter refuses the call).
var openat2Usable = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// walkOnly forces the walk for reads too (tests run both resolvers).
var walkOnly = false

// open opens p inside the root with flags, following a symlink as the last
// component unless flags hold O_NOFOLLOW. The caller closes the fd.
func (j *jail) open(p string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	if !walkOnly && openat2Usable() {
		how := &unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
		for {
			fd, err := unix.Openat2(j.fd(), rel(p), how)
			if err == unix.EAGAIN || err == unix.EINTR { // a rename raced the resolution
				continue
			}
			if err != nil {
				return -1, j.pathError("open", p, err)
			}
			return fd, nil
		}
	}
	dir, base, err := j.walk(p, flags&unix.O_NOFOLLOW == 0, false)
	if err != nil {
		return -1, err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, flags|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, j.pathError("open", p, err)
	}
	return fd, nil
}

// lstat stats p inside the root without following a last symlink.
func (j *jail) lstat(p string) (fs.FileInfo, error) {
	fd, err := j.open(p, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return fstat(fd, p)
}

// stat stats p inside the root, following symlinks inside it.
func (j *jail) stat(p string) (fs.FileInfo, error) {
	fd, err := j.open(p, unix.O_PATH)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return fstat(fd, p)
}

// parent opens, for a change, the directory that holds p's last component
// and returns it with that component's name: changes act on this handle.
func (j *jail) parent(p string) (*os.File, string, error) { return j.walk(p, false, true) }

// target is parent with a symlink as last component resolved too (where a
// trusted directory holds it): the file or directory p stands for.
func (j *jail) target(p string) (*os.File, string, error) { return j.walk(p, true, true) }

// maxLinks is the kernel's limit on symlinks in one resolution.
const maxLinks = 40

// walk resolves p one component at a time from the root and returns the
// directory holding the last component and that component's name ("."
// when p is a directory reached through ".."). With follow, a last
// component that is a symlink is resolved as well; with guard, a symlink is
// followed only in a trusted directory.
func (j *jail) walk(p string, follow, guard bool) (*os.File, string, error) {
	rootFd, err := unix.Openat(j.fd(), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", j.pathError("open", "/", err)
	}
	stack := []*os.File{os.NewFile(uintptr(rootFd), j.root)}
	pop := func(keep int) {
		for len(stack) > keep {
			stack[len(stack)-1].Close()
			stack = stack[:len(stack)-1]
		}
	}
	fail := func(err error) (*os.File, string, error) {
		pop(0)
		return nil, "", err
	}
	take := func() *os.File { // the innermost directory; the rest closed
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		pop(0)
		return top
	}
	comps, links := strings.Split(rel(p), "/"), 0
	for len(comps) > 0 {
		c, last := comps[0], len(comps) == 1
		comps = comps[1:]
		cur := stack[len(stack)-1]
		switch c {
		case "", ".":
			continue
		case "..":
			pop(max(len(stack)-1, 1))
			continue
		}
		var st unix.Stat_t
		err := unix.Fstatat(int(cur.Fd()), c, &st, unix.AT_SYMLINK_NOFOLLOW)
		if last && (err != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK || !follow) {
			return take(), c, nil // the caller's own call reports a missing file
		}
		if err != nil {
			return fail(j.pathError("stat", p, err))
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			if guard && !j.trusted(cur) {
				return fail(fmt.Errorf("%s: refusing to follow the symlink %s in %s, a directory a user other "+
					"than root can write", p, c, cur.Name()))
			}
			if links++; links > maxLinks {
				return fail(j.pathError("open", p, unix.ELOOP))
			}
			target, err := readlinkat(int(cur.Fd()), c)
			if err != nil {
				return fail(j.pathError("readlink", p, err))
			}
			if strings.HasPrefix(target, "/") {
				pop(1)
			}
			comps = append(strings.Split(target, "/"), comps...)
			continue
		}
		fd, err := unix.Openat(int(cur.Fd()), c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail(j.pathError("open", p, err))
		}
		stack = append(stack, os.NewFile(uintptr(fd), filepath.Join(cur.Name(), c)))
	}
	return take(), ".", nil
}

// trusted: only root and the root directory's owner can write dir. A
// symlink anyone else can put there is not followed for a change.
func (j *jail) trusted(dir *os.File) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(dir.Fd()), &st); err != nil {
		return false
	}
	ownerOK := st.Uid == 0 || st.Uid == j.owner
	groupOK := st.Mode&0o020 == 0 || st.Gid == 0
	return ownerOK && groupOK && st.Mode&0o002 == 0
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// fileKind names what a path is when it is not a regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "not a regular file"
}
