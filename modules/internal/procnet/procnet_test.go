package procnet

import (
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
)

func TestParseListening(t *testing.T) {
	tables := map[string]string{
		"/proc/net/tcp": `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:3AFB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0100007F:3AFB 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:C350 08 00000000:00000000 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1
`,
		"/proc/net/tcp6": `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0
`,
	}
	got, err := ListeningTCP(func(p string) ([]byte, error) { return []byte(tables[p]), nil })
	if err != nil {
		t.Fatal(err)
	}
	// 2222 and 15099 listen on IPv4, 22 on IPv6; 8080 is only a
	// CLOSE_WAIT connection (st 08), 15099's second row an established one.
	if want := []int{22, 2222, 15099}; !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
		t.Errorf("listening %v, want %v", slices.Sorted(maps.Keys(got)), want)
	}
}

func TestMissingTableIsSkipped(t *testing.T) {
	got, err := ListeningTCP(func(p string) ([]byte, error) {
		if p == "/proc/net/tcp6" {
			return nil, os.ErrNotExist
		}
		return []byte("  sl local\n   0: 00000000:0050 00000000:0000 0A\n"), nil
	})
	if err != nil || !got[80] || len(got) != 1 {
		t.Errorf("got %v, %v", got, err)
	}
}

// The live kernel table shows a socket this test opens, and not after it
// is closed.
func TestListeningTCPLive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	got, err := ListeningTCP(os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if !got[port] {
		t.Errorf("port %d listens but is not in the table", port)
	}
	ln.Close()
	if got, _ := ListeningTCP(os.ReadFile); got[port] {
		t.Errorf("port %d still listed after close", port)
	}
}

func TestListeners(t *testing.T) {
	tables := map[string]string{
		"/proc/net/tcp": "  sl local\n" +
			"   0: 00000000:2328 00000000:0000 0A 0 0 0 0 0 0 1\n" + // 0.0.0.0:9000
			"   1: 0100007F:23E0 00000000:0000 0A 0 0 0 0 0 0 2\n" + // 127.0.0.1:9184
			"   2: 0100007F:23E0 0100007F:D2F0 01 0 0 0 0 0 0 3\n", // established
		"/proc/net/tcp6": "  sl local\n" +
			"   0: 00000000000000000000000000000000:C383 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 4\n" + // [::]:50051
			"   1: 00000000000000000000000001000000:0539 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 5\n", // [::1]:1337
	}
	got, err := Listeners(func(p string) ([]byte, error) { return []byte(tables[p]), nil })
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range got {
		s = append(s, a.String())
	}
	want := []string{"0.0.0.0:9000", "127.0.0.1:9184", "[::]:50051", "[::1]:1337"}
	if !slices.Equal(s, want) {
		t.Errorf("listeners %v, want %v", s, want)
	}
}

// A socket this test opens on loopback is listed with its address.
func TestListenersLive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := netip.MustParseAddrPort(ln.Addr().String())
	got, err := Listeners(os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, want) {
		t.Errorf("%v listens but Listeners gave %v", want, got)
	}
}
