package procnet

import (
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// A /proc with an sshd listening on 22 (IPv4) and 2222 (IPv6), a web
// server on 80, and an sshd session child holding no listener.
func TestListeningTCPOf(t *testing.T) {
	head := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	row := func(port int, inode string) string {
		return "   0: 00000000:" + strings.ToUpper(strconv.FormatInt(int64(port), 16)) +
			" 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 " + inode + " 1 0 100 0 0 10 0\n"
	}
	tcp := head + row(22, "1001") + row(80, "2001")
	tcp6 := head + row(2222, "1002")
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: os.ModeSymlink}
	}
	proc := fstest.MapFS{
		"100/comm":     {Data: []byte("sshd\n")},
		"100/fd/3":     link("socket:[1001]"),
		"100/fd/4":     link("socket:[1002]"),
		"100/fd/0":     link("/dev/null"),
		"100/net/tcp":  {Data: []byte(tcp)},
		"100/net/tcp6": {Data: []byte(tcp6)},
		"100/ns/net":   link("net:[7]"),
		"200/comm":     {Data: []byte("nginx\n")},
		"200/fd/6":     link("socket:[2001]"),
		"200/net/tcp":  {Data: []byte(tcp)},
		"300/comm":     {Data: []byte("sshd\n")},
		"300/fd/3":     link("socket:[3001]"),
		"300/net/tcp":  {Data: []byte(tcp)},
		"400/comm":     {Data: []byte("sshd\n")},
		"400/fd/3":     link("socket:[4001]"),
		"400/net/tcp":  {Data: []byte(head + row(2200, "4001"))},
		"400/ns/net":   link("net:[8]"),
		"self/comm":    {Data: []byte("sshd\n")},
	}
	for netns, want := range map[string][]int{"net:[7]": {22, 2222}, "net:[8]": {2200}, "": {22, 2200, 2222}} {
		got, err := ListeningTCPOf(proc, "sshd", netns)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
			t.Errorf("sshd in %q listens on %v, want %v", netns, slices.Sorted(maps.Keys(got)), want)
		}
	}
}

// The live /proc: a socket this test process opens is found under its own
// command name, and not under another.
func TestListeningTCPOfLive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip("no /proc here")
	}
	netns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ListeningTCPOf(os.DirFS("/proc"), strings.TrimSpace(string(comm)), netns)
	if err != nil {
		t.Fatal(err)
	}
	if !got[port] {
		t.Errorf("port %d of this process not found", port)
	}
	if other, _ := ListeningTCPOf(os.DirFS("/proc"), "no-such-daemon", ""); other[port] {
		t.Errorf("port %d found under another name", port)
	}
	if other, _ := ListeningTCPOf(os.DirFS("/proc"), strings.TrimSpace(string(comm)), "net:[1]"); other[port] {
		t.Errorf("port %d found in another namespace", port)
	}
}

// BenchmarkListeningTCPOf is the cost the firewall's Read pays to find
// sshd's ports: a walk of every process's comm (and the fds of sshd's).
func BenchmarkListeningTCPOf(b *testing.B) {
	netns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		b.Skip("no /proc here")
	}
	for b.Loop() {
		if _, err := ListeningTCPOf(os.DirFS("/proc"), "sshd", netns); err != nil {
			b.Fatal(err)
		}
	}
}
