//go:build root

// Package packaging holds the .deb build (build-deb.sh) and its checks:
// the package is reproducible, has the expected contents, and lintian
// finds nothing beyond what a static Go binary always triggers.
package packaging

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const testVersion = "0.1.0+rootest1"

// buildDeb runs build-deb.sh into a fresh directory.
func buildDeb(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("sh", "build-deb.sh", out)
	cmd.Env = append(os.Environ(), "VERSION="+testVersion)
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("build-deb.sh: %v\n%s%s", err, b, stderr)
	}
	deb := strings.TrimSpace(string(b))
	if !filepath.IsAbs(deb) {
		deb = filepath.Join("..", deb)
	}
	return deb
}

func need(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (apt-get install dpkg-dev lintian)", b)
		}
	}
}

func sha(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestDebReproducibleAndComplete(t *testing.T) {
	need(t, "dpkg-deb", "git")
	a, b := buildDeb(t), buildDeb(t)
	if filepath.Base(a) != "harden_"+testVersion+"_"+debArch(t)+".deb" {
		t.Errorf("package file name %s", filepath.Base(a))
	}
	if sha(t, a) != sha(t, b) {
		t.Errorf("two builds of the same commit differ: %s %s", a, b)
	}
	st, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 6<<20 {
		t.Errorf("package is %d bytes, over 6 MiB", st.Size())
	}
	t.Logf("%s: %d bytes", filepath.Base(a), st.Size())

	listing := run(t, "dpkg-deb", "-c", a)
	for _, want := range []string{
		"-rwxr-xr-x root/root", "./usr/bin/harden",
		"-rw-r--r-- root/root", "./etc/harden/profile.hcl",
		"./lib/systemd/system/harden-drift.service", "./lib/systemd/system/harden-drift.timer",
		"./lib/systemd/system/harden-pending-rollback.service",
		"./usr/share/man/man1/harden.1.gz", "./usr/share/doc/harden/copyright",
		"./usr/share/doc/harden/changelog.gz",
		"./usr/share/bash-completion/completions/harden", "./usr/share/zsh/vendor-completions/_harden",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("package lacks %q:\n%s", want, listing)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
		if !strings.Contains(l, " root/root ") {
			t.Errorf("entry not owned by root: %s", l)
		}
	}
	if c := run(t, "dpkg-deb", "-f", a, "Version"); strings.TrimSpace(c) != testVersion {
		t.Errorf("Version field %q", c)
	}

	dir := t.TempDir()
	run(t, "dpkg-deb", "-R", a, dir)
	if c, _ := os.ReadFile(filepath.Join(dir, "DEBIAN/conffiles")); string(c) != "/etc/harden/profile.hcl\n" {
		t.Errorf("conffiles: %q", c)
	}
	// The packaged profile is the embedded default, and the rollback unit
	// is the text the binary itself would write.
	profile, _ := os.ReadFile(filepath.Join(dir, "etc/harden/profile.hcl"))
	builtin := run(t, filepath.Join(dir, "usr/bin/harden"), "profiles", "show", "iri-node")
	if string(profile) != builtin || len(profile) == 0 {
		t.Errorf("packaged profile differs from the embedded iri-node profile")
	}
	unit, _ := os.ReadFile(filepath.Join(dir, "lib/systemd/system/harden-pending-rollback.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/harden rollback -pending\n") ||
		!strings.Contains(string(unit), "ConditionPathExists=/var/lib/harden/pending.json\n") {
		t.Errorf("harden-pending-rollback.service:\n%s", unit)
	}
	// harden's own stanza comes first: Apache-2.0, as the LICENSE file.
	copyright, _ := os.ReadFile(filepath.Join(dir, "usr/share/doc/harden/copyright"))
	if !strings.Contains(string(copyright), "Files: *\nCopyright: the harden authors\nLicense: Apache-2.0\n") {
		t.Errorf("copyright does not license harden under Apache-2.0:\n%.600s", copyright)
	}
	if v := run(t, filepath.Join(dir, "usr/bin/harden"), "version"); strings.TrimSpace(v) != "harden "+testVersion {
		t.Errorf("packaged binary says %q", v)
	}
}

// TestLintian runs lintian on the package: no error or warning may remain
// beyond the overrides shipped for a static Go binary.
func TestLintian(t *testing.T) {
	need(t, "dpkg-deb", "git", "lintian")
	deb := buildDeb(t)
	cmd := exec.Command("lintian", "--pedantic", "--fail-on", "error,warning,info,pedantic", deb)
	out, err := cmd.CombinedOutput()
	var tags []string
	for _, l := range strings.Split(string(out), "\n") {
		if len(l) > 2 && l[1] == ':' && strings.Contains("EWIPX", l[:1]) {
			tags = append(tags, l)
		}
	}
	if err != nil || len(tags) > 0 {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}

func debArch(t *testing.T) string {
	return strings.TrimSpace(run(t, "dpkg", "--print-architecture"))
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
