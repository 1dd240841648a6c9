package vps

import "testing"

func TestMirrorFromDeb822(t *testing.T) {
	src := `Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
# a comment line inside the stanza
URIs: http://mirror.example/debian http://other.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
`
	if got := mirrorFromDeb822([]byte(src), "bookworm"); got != "http://mirror.example/debian" {
		t.Errorf("bookworm: got %q", got)
	}
	if got := mirrorFromDeb822([]byte(src), "bookworm-security"); got != "http://security.example/debian-security" {
		t.Errorf("bookworm-security: got %q", got)
	}
	disabled := "Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n"
	if got := mirrorFromDeb822([]byte(disabled), "bookworm"); got != "" {
		t.Errorf("disabled stanza used: %q", got)
	}
}

func TestMirrorFromList(t *testing.T) {
	src := `# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://opts.example/debian bookworm main
deb http://plain.example/debian bookworm-updates main
`
	if got := mirrorFromList([]byte(src), "bookworm"); got != "http://opts.example/debian" {
		t.Errorf("bookworm: got %q", got)
	}
	if got := mirrorFromList([]byte(src), "bookworm-updates"); got != "http://plain.example/debian" {
		t.Errorf("bookworm-updates: got %q", got)
	}
	if got := mirrorFromList([]byte(src), "trixie"); got != "" {
		t.Errorf("trixie: got %q", got)
	}
}

func TestImageHashFollowsInputs(t *testing.T) {
	a := ImageSpec{Suite: "bookworm", Mirror: "http://a.example/debian", Packages: []string{"systemd"}, Setup: setupScript}
	b := a
	b.Mirror = "http://b.example/debian"
	c := a
	c.Setup += "\ntrue\n"
	if a.Hash() == b.Hash() || a.Hash() == c.Hash() {
		t.Errorf("hash ignores an input: %s %s %s", a.Hash(), b.Hash(), c.Hash())
	}
}

func TestOSReleaseField(t *testing.T) {
	data := []byte("PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n")
	for key, want := range map[string]string{"VERSION_ID": "13", "VERSION_CODENAME": "trixie", "ID": ""} {
		if got := osReleaseField(data, key); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
}
