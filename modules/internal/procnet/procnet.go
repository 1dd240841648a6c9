// Package procnet reads the kernel's socket tables in /proc/net.
package procnet

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"strconv"
	"strings"
)

// TCPTables are the IPv4 and IPv6 TCP socket tables of the caller's
// network namespace.
var TCPTables = []string{"/proc/net/tcp", "/proc/net/tcp6"}

// stateListen is TCP_LISTEN as the tables write it.
const stateListen = "0A"

// ListeningTCP returns the local ports with a listening TCP socket on any
// address, IPv4 or IPv6, reading each table with read (a missing table, as
// on a host without IPv6, is skipped). Unlike a connection attempt, this
// sees a socket bound to any address, not only loopback.
func ListeningTCP(read func(path string) ([]byte, error)) (map[int]bool, error) {
	ports := map[int]bool{}
	for _, table := range TCPTables {
		data, err := read(table)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		parseListening(data, ports)
	}
	return ports, nil
}

// parseListening adds the ports of LISTEN rows.
func parseListening(table []byte, ports map[int]bool) {
	for _, l := range listenRows(table) {
		ports[l.port] = true
	}
}

// listenRow is one LISTEN row: its local address and port and its
// socket's inode.
type listenRow struct {
	addr  netip.Addr
	port  int
	inode string
}

// listenRows reads the LISTEN rows of a table, whose local address is
// "ADDR:PORT" in hex and whose tenth field is the socket's inode:
// "  0: 00000000:08AE 00000000:0000 0A ... 0 0 163862 1 ...".
func listenRows(table []byte) []listenRow {
	var out []listenRow
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != stateListen {
			continue
		}
		hexAddr, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			continue
		}
		row := listenRow{addr: parseAddr(hexAddr), port: int(port)}
		if len(fields) > 9 {
			row.inode = fields[9]
		}
		out = append(out, row)
	}
	return out
}
