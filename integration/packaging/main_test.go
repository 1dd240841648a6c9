//go:build system

// Package packaging is the system tier for how harden is shipped: the .deb
// built by packaging/build-deb.sh installed, upgraded and removed with dpkg
// on a freshly booted VPS of every release of the run (vps.Releases), the
// drift timer, and the cloud-init first boot. Run as root:
//
//	go test -tags system -count=1 -timeout 30m -v ./integration/packaging/...
package packaging

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"harden/integration/vps"
)

var debDir string

// TestMain checks that the suite leaves the host as it found it: no
// ruleset change, no new listening socket, no machine left behind.
func TestMain(m *testing.M) {
	var err error
	if debDir, err = os.MkdirTemp("", "harden-debs-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := vps.RunSuite(m, "packaging tier")
	os.RemoveAll(debDir)
	os.Exit(code)
}

// Versions of the two builds: the second is the upgrade.
const (
	oldVersion = "0.1.0+systest1"
	newVersion = "0.1.0+systest2"
)

var (
	debMu    sync.Mutex
	debFiles = map[string]string{}
)

// buildDeb builds the package of version with packaging/build-deb.sh (once
// per version for the whole test binary) and returns its path.
func buildDeb(t *testing.T, version string) string {
	t.Helper()
	debMu.Lock()
	defer debMu.Unlock()
	if f, ok := debFiles[version]; ok {
		return f
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	f, err := vps.BuildDeb(ctx, filepath.Join(debDir, version), version)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s", filepath.Base(f), time.Since(start).Round(time.Millisecond))
	debFiles[version] = f
	return f
}

// copyDeb puts a package file into the machine's /root and returns its
// path there.
func copyDeb(t *testing.T, m *vps.Machine, deb string) string {
	t.Helper()
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	inside := "/root/" + filepath.Base(deb)
	if err := os.WriteFile(filepath.Join(m.Dir, inside), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return inside
}

// install runs dpkg -i of the package the operator's way (ssh, sudo).
func install(t *testing.T, m *vps.Machine, deb string) vps.Result {
	t.Helper()
	return m.MustSudo("dpkg -i " + copyDeb(t, m, deb))
}

// bootFresh boots a VPS of rel without a harden binary: only the package
// brings it.
func bootFresh(t *testing.T, rel vps.Release) *vps.Machine {
	t.Helper()
	m := vps.Boot(t, vps.Options{Release: rel, NoHarden: true})
	if r := m.Shell("command -v harden"); r.OK() {
		t.Fatalf("the fresh VPS already has harden at %s", r.Stdout)
	}
	return m
}

// sshPort is the default profile's SSH port (iri-node's ssh_port).
const sshPort = 2222

// console runs harden as root on the machine's console (the provider's web
// console): no SSH session, so the firewall's guard for the operator's own
// session does not apply. The packaged default profile closes port 22, so
// an operator connected on 22 applies it from a console, or first keeps 22
// open in the profile.
func console(t *testing.T, m *vps.Machine, args string, ok ...int) vps.Result {
	t.Helper()
	r := m.Exec(append([]string{"harden"}, strings.Fields(args)...)...)
	m.Expect(r, ok...)
	return r
}

// applyFromConsole applies /etc/harden/profile.hcl from the console and
// waits for sshd on the new port; the apply waits for confirmation.
func applyFromConsole(t *testing.T, m *vps.Machine) vps.Result {
	t.Helper()
	r := console(t, m, "apply -auto-approve")
	if err := m.WaitSSH(sshPort, 15*time.Second); err != nil {
		t.Fatalf("sshd does not answer on %d after apply: %v\n%s", sshPort, err, r)
	}
	m.Port = sshPort
	return r
}

// unitState is `systemctl is-enabled` and `is-active` of a unit.
func unitState(m *vps.Machine, unit string) string {
	en := m.Exec("systemctl", "is-enabled", unit)
	act := m.Exec("systemctl", "is-active", unit)
	return strings.TrimSpace(en.Stdout) + "/" + strings.TrimSpace(act.Stdout)
}

// hardenedState is what harden's apply changed and removal must keep: the
// sshd config files, the live sshd settings and the nftables ruleset
// (without counters and dynamic set elements, which traffic changes).
func hardenedState(t *testing.T, m *vps.Machine) string {
	t.Helper()
	return m.MustShell("sha256sum /etc/ssh/sshd_config /etc/ssh/sshd_config.d/* 2>/dev/null; " +
		"sshd -T | grep -E '^(port|passwordauthentication|permitrootlogin) '; nft -t -s list ruleset").Stdout
}
