package procnet

import (
	"errors"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// ListeningTCPOf returns the local ports of the listening TCP sockets
// held open by processes whose command name (/proc/PID/comm) is comm and
// whose network namespace is netns (as /proc/PID/ns/net reads:
// "net:[4026531840]"; "" for any): a daemon in a container beside it
// does not count. Each process's sockets are looked up in its own
// /proc/PID/net/tcp{,6}. proc is a /proc tree (os.DirFS("/proc"), which
// reads the fd links). Processes that end while they are read, or whose
// fds this process may not read, are skipped: the caller asks about a
// daemon it can see.
func ListeningTCPOf(proc fs.FS, comm, netns string) (map[int]bool, error) {
	entries, err := fs.ReadDir(proc, ".")
	if err != nil {
		return nil, err
	}
	ports := map[int]bool{}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil || !e.IsDir() {
			continue
		}
		name, err := fs.ReadFile(proc, path.Join(e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(name)) != comm {
			continue
		}
		if ns, err := fs.ReadLink(proc, path.Join(e.Name(), "ns/net")); netns != "" && (err != nil || ns != netns) {
			continue
		}
		inodes := socketInodes(proc, e.Name())
		if len(inodes) == 0 {
			continue
		}
		for _, table := range []string{"net/tcp", "net/tcp6"} {
			data, err := fs.ReadFile(proc, path.Join(e.Name(), table))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, row := range listenRows(data) {
				if inodes[row.inode] {
					ports[row.port] = true
				}
			}
		}
	}
	return ports, nil
}

// socketInodes are the inodes of the sockets a process holds open: its
// fd links read "socket:[INODE]".
func socketInodes(proc fs.FS, pid string) map[string]bool {
	dir := path.Join(pid, "fd")
	fds, err := fs.ReadDir(proc, dir)
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := fs.ReadLink(proc, path.Join(dir, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return inodes
}
