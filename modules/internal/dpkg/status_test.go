package dpkg

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const status = `Package: haproxy
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 2.6.12-1+deb12u1
Description: fast and reliable load balancing reverse proxy
 HAProxy is a TCP/HTTP reverse proxy.
 .
 Package: not-a-field

Package: libfoo
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: libbar
Status: install ok half-configured
Architecture: i386
Version: 2.0-1

Package: libbar
Status: install ok installed
Architecture: amd64
Version: 2.0-1
`

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		found     bool
		installed bool
		version   string
		state     string
	}{
		{"haproxy", true, true, "2.6.12-1+deb12u1", "installed"},
		{"libfoo", true, false, "1.0-1", "config-files"},
		{"libbar", true, true, "2.0-1", "installed"},
		{"not-a-field", false, false, "", ""},
		{"haprox", false, false, "", ""},
	} {
		p, found := Lookup([]byte(status), tc.name)
		if found != tc.found || p.Installed() != tc.installed || p.Version != tc.version || p.Status != tc.state {
			t.Errorf("Lookup(%q) = %+v, %v; want found=%v installed=%v version=%q status=%q",
				tc.name, p, found, tc.found, tc.installed, tc.version, tc.state)
		}
	}
}

func TestLookupEmptyDatabase(t *testing.T) {
	if p, found := Lookup(nil, "haproxy"); found || p.Installed() {
		t.Errorf("empty database: %+v, %v", p, found)
	}
}

// The host's own database, read both ways: the parser must agree with
// dpkg-query on every package dpkg knows.
func TestLookupAgreesWithDpkgQuery(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query on this host")
	}
	data, err := os.ReadFile(StatusPath)
	if err != nil {
		t.Skipf("no dpkg database: %v", err)
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${db:Status-Status} ${Version}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Package{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		p := Package{Name: f[0], Status: f[1]}
		if len(f) > 2 {
			p.Version = f[2]
		}
		if old, seen := want[p.Name]; !seen || p.Installed() && !old.Installed() {
			want[p.Name] = p
		}
	}
	if len(want) == 0 {
		t.Fatal("dpkg-query listed no packages")
	}
	for name, w := range want {
		if got, found := Lookup(data, name); !found || got != w {
			t.Errorf("Lookup(%q) = %+v, %v; dpkg-query says %+v", name, got, found, w)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	data, err := os.ReadFile(StatusPath)
	if err != nil {
		b.Skipf("no dpkg database: %v", err)
	}
	for b.Loop() {
		Lookup(data, "zstd")
	}
}
