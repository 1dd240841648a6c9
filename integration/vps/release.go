package vps

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Release is one platform the system tier proves harden on: a Debian
// release, and how its sshd is started.
type Release struct {
	// Name names the subtests of the release (TestX/debian13-socket) and
	// is what HARDEN_TEST_RELEASES lists.
	Name string
	// Suite is the Debian codename the image is debootstrapped from;
	// releases of one suite share one image.
	Suite string
	// Version is the release's VERSION_ID in /etc/os-release.
	Version string
	// SocketSSH: ssh.service is disabled and ssh.socket enabled, so
	// systemd holds port 22 and starts sshd on the first connection
	// (Ubuntu's default layout). Otherwise ssh.service runs sshd itself.
	SocketSSH bool
}

// String is the release as a person names it.
func (r Release) String() string {
	s := "Debian " + r.Version
	if r.SocketSSH {
		s += ", socket-activated sshd"
	}
	return s
}

// allReleases are the platforms of the system tier, the default first.
var allReleases = []Release{
	{Name: "debian12", Suite: "bookworm", Version: "12"},
	{Name: "debian13", Suite: "trixie", Version: "13"},
	{Name: "debian13-socket", Suite: "trixie", Version: "13", SocketSSH: true},
}

// Releases are the releases this run covers: all of them, or those named
// in HARDEN_TEST_RELEASES (comma or space separated, e.g. "debian13" for a
// quick local run). An unknown name panics with the known ones: a typo
// must not quietly test nothing.
func Releases() []Release {
	list := os.Getenv("HARDEN_TEST_RELEASES")
	if strings.TrimSpace(list) == "" {
		return allReleases
	}
	var out []Release
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		rel, ok := releaseNamed(name)
		if !ok {
			panic(fmt.Sprintf("HARDEN_TEST_RELEASES: unknown release %q (known: %s)", name, releaseNames()))
		}
		out = append(out, rel)
	}
	return out
}

// DefaultRelease is the first release of the run: where a scenario that
// does not fan out (Options.Release left empty) boots.
func DefaultRelease() Release { return Releases()[0] }

func releaseNamed(name string) (Release, bool) {
	for _, r := range allReleases {
		if r.Name == name {
			return r, true
		}
	}
	return Release{}, false
}

func releaseNames() string {
	var names []string
	for _, r := range allReleases {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// ForEachRelease runs scenario once per release of the run, as parallel
// subtests named after the releases (TestX/debian12, TestX/debian13, ...).
// The scenario boots its machine with Options{Release: rel}.
func ForEachRelease(t *testing.T, scenario func(t *testing.T, rel Release)) {
	t.Helper()
	for _, rel := range Releases() {
		t.Run(rel.Name, func(t *testing.T) {
			t.Parallel()
			scenario(t, rel)
		})
	}
}
