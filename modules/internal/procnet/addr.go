package procnet

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/netip"
	"sort"
)

// Listeners returns the local address and port of every listening TCP
// socket, IPv4 and IPv6, sorted, reading each table with read (a missing
// table is skipped). It tells a socket bound to every interface
// (0.0.0.0, ::) from one bound to loopback, which ListeningTCP does not.
func Listeners(read func(path string) ([]byte, error)) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, table := range TCPTables {
		data, err := read(table)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, row := range listenRows(data) {
			if row.addr.IsValid() {
				out = append(out, netip.AddrPortFrom(row.addr, uint16(row.port)))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out, nil
}

// parseAddr decodes a table's local address: the kernel prints the
// address's 32-bit words in its own byte order, in hex ("0100007F" is
// 127.0.0.1 on a little-endian machine; IPv6 is four such words).
func parseAddr(h string) netip.Addr {
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != 4 && len(raw) != 16 {
		return netip.Addr{}
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(raw)
	return a
}
