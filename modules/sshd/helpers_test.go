package sshd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/internal/dpkg"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// stockFiles is a fresh Debian 12 cloud image (see debianImage).
func stockFiles(t testing.TB) map[string]string { return debianImage(t, 12) }

// debianImage is a fresh Debian cloud image of a release (12 or 13): the
// stock sshd_config, cloud-init's drop-in turning password logins back on,
// and the package database listing the release's OpenSSH.
func debianImage(t testing.TB, release int) map[string]string {
	return map[string]string{
		configPath: readTestdata(t, fmt.Sprintf("debian%d_sshd_config", release)),
		"/etc/ssh/sshd_config.d/50-cloud-init.conf": readTestdata(t, "50-cloud-init.conf"),
		dpkg.StatusPath: readTestdata(t, fmt.Sprintf("dpkg/debian%d.status", release)),
	}
}

// releaseOf is the release the tables give a package version.
func releaseOf(t testing.TB, pkgVersion string) *release {
	t.Helper()
	r, exact := releaseForPackage(pkgVersion)
	if !exact {
		t.Fatalf("%s is not in the tables", pkgVersion)
	}
	return r
}

// debian12 is Debian 12's OpenSSH as the stock image's package database
// lists it.
func debian12(t testing.TB) *release { return releaseOf(t, "1:9.2p1-2+deb12u10") }

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newRoot writes files (system path → text) under a fresh test root,
// plus an operator account as on a real VPS (see operatorFiles) unless the
// files bring their own /etc/passwd.
func newRoot(t testing.TB, files map[string]string) (*host.Host, *hosttest.Systemd) {
	t.Helper()
	h, sd := hosttest.New(t)
	if _, own := files["/etc/passwd"]; !own {
		writeFiles(t, h.Root(), operatorFiles())
	}
	writeFiles(t, h.Root(), files)
	return h, sd
}

// operatorFiles is a `deploy` user in the sudo group (NOPASSWD) with an
// ed25519 key: the lockout guard's way in. Its uid is the test's own (so
// the files the test writes are owned by it), or 1000 when the test runs
// as root (root-owned key files are acceptable to sshd).
func operatorFiles() map[string]string {
	uid := os.Getuid()
	if uid == 0 {
		uid = 1000
	}
	return map[string]string{
		"/etc/passwd":                       fmt.Sprintf("root:x:0:0:root:/root:/bin/bash\ndeploy:x:%d:%d::/home/deploy:/bin/bash\n", uid, uid),
		"/etc/group":                        fmt.Sprintf("root:x:0:\nsudo:x:27:deploy\ndeploy:x:%d:\n", uid),
		"/etc/sudoers":                      "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n",
		"/home/deploy/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJw1i/HpSbwP66VcN5SirnFOLOZ/PIQikwe8UTrCRjVC deploy@laptop\n",
	}
}

func writeFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readState(t testing.TB, m *Module, h *host.Host) *State {
	t.Helper()
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*State)
}

func mustPlan(t testing.TB, m *Module, st *State) module.Plan {
	t.Helper()
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// planText is a stable text form of a plan for golden files: addresses,
// fields, effects, warnings, notes (the diff itself is the renderer's job).
func planText(p module.Plan, root string) string {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(string(c.Action) + " " + c.Address + "\n")
		for _, f := range c.Fields {
			b.WriteString("  " + f.Name + ": " + show(f.Before, f.BeforeUnset) + " -> " + show(f.After, f.AfterUnset) + "\n")
		}
		for _, e := range c.Effects {
			b.WriteString("  effect: " + e + "\n")
		}
		for _, w := range c.Warnings {
			b.WriteString("  warning: " + w + "\n")
		}
	}
	for _, w := range p.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	for _, n := range p.Notes {
		b.WriteString("note: " + strings.ReplaceAll(n, root, "ROOT") + "\n")
	}
	return b.String()
}

func show(v string, unset bool) string {
	if unset {
		return "(unset)"
	}
	return v
}

func decodeSrc(t *testing.T, m *Module, src string) string {
	t.Helper()
	if d := moduletest.Decode(t, m, src, nil); d.HasErrors() {
		return d.Error()
	}
	return ""
}

// Unprivileged tests cannot give files to root: their own uid and gid
// stand in for root's as the owners of sshd's files.
func init() {
	if os.Geteuid() != 0 {
		rootUID, rootGID = os.Getuid(), os.Getgid()
	}
}

// debian12Status is a Debian 12 package database: the machine harden runs
// on, in tests that need its OpenSSH fixed.
const debian12Status = "testdata/dpkg/debian12.status"

// desiredFor is what m wants on a machine with the release, where no
// administrator was read (AllowUsers stays unmanaged).
func desiredFor(m *Module, rel *release) map[string][]string {
	want, _ := m.desired(&State{OpenSSH: installed{rel: rel}})
	return want
}
