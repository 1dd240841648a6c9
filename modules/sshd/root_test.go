//go:build root

package sshd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// Root tier: the real sshd (openssh-server) checks and dumps the configs
// this module writes. Run: go test -tags root ./modules/sshd/ (as root).

func needSSHD(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("root tier: needs root (sshd -t/-T read host keys)")
	}
	for _, bin := range []string{"sshd", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("root tier: %s not installed (apt-get install openssh-server)", bin)
		}
	}
	// sshd -t and -T refuse to run without the privilege separation
	// directory that ssh.service normally creates.
	if _, err := os.Stat("/run/sshd"); os.IsNotExist(err) {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
}

// stockRoot is a temp root holding a fresh Debian 12 cloud image's sshd
// config with real host keys.
func stockRoot(t *testing.T) (*host.Host, map[string]string) {
	t.Helper()
	return imageRoot(t, 12)
}

// imageRoot is a temp root holding a fresh cloud image of a Debian release
// (its sshd config and package database) with a real host key.
func imageRoot(t *testing.T, release int) (*host.Host, map[string]string) {
	t.Helper()
	files := debianImage(t, release)
	h, _ := newRoot(t, files)
	key := filepath.Join(h.Root(), "etc/ssh/ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return h, files
}

// comparable reports whether sshdDump shows a keyword as the files set
// it: not DebianBanner (sshd -T does not print it), nor HostKey, to which
// sshdDump adds the test's own key.
func comparable(key string) bool { return printedByT(key) && key != "hostkey" }

// sshdDump is `sshd -T` of the config under h's root, drop-ins included.
func sshdDump(t *testing.T, h *host.Host) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	main, err := mirrorConfig(h, dir, configPath, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(h.Root(), "etc/ssh/ssh_host_ed25519_key")
	out, err := exec.Command("sshd", "-T", "-f", main, "-o", "HostKey="+key).CombinedOutput()
	if err != nil {
		t.Fatalf("sshd -T: %v: %s", err, out)
	}
	return parseDump(string(out))
}

func TestRootPlanApplyVerifyUndo(t *testing.T) {
	needSSHD(t)
	ctx := context.Background()
	h, files := stockRoot(t)
	m := New()

	before := sshdDump(t, h)
	if got := before["passwordauthentication"]; len(got) != 1 || got[0] != "yes" {
		t.Fatalf("the cloud-init drop-in should make sshd allow passwords before apply, sshd -T says %v", got)
	}
	st := readState(t, m, h)
	for key, e := range st.Effective {
		if !comparable(key) {
			continue
		}
		if !sameValues(key, before[key], e.Values) {
			t.Errorf("before apply, %s: files say %v, sshd -T says %v", key, e.Values, before[key])
		}
	}
	p := mustPlan(t, m, st)
	findChange(t, p, "sshd.setting[PasswordAuthentication]")
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}

	after := sshdDump(t, h)
	want, _ := m.desired(st)
	for key, want := range want {
		if !comparable(key) {
			continue
		}
		if !sameValues(key, want, after[key]) {
			t.Errorf("after apply, sshd -T %s = %v, want %v", key, after[key], want)
		}
	}
	if p2 := mustPlan(t, m, readState(t, m, h)); !p2.Empty() {
		t.Errorf("second plan not empty:\n%s", planText(p2, h.Root()))
	}
	if drop, _ := h.ReadFile("/etc/ssh/sshd_config.d/50-cloud-init.conf"); string(drop) != files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] {
		t.Error("the cloud-init drop-in must be left as it is")
	}

	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		if got, _ := h.ReadFile(p); string(got) != want {
			t.Errorf("undo did not restore %s byte for byte", p)
		}
	}
	if got := sshdDump(t, h)["passwordauthentication"]; got[0] != "yes" {
		t.Errorf("after undo sshd -T passwordauthentication = %v, want the original yes", got)
	}
}

func TestRootRejectedCandidateLeavesFilesUntouched(t *testing.T) {
	needSSHD(t)
	h, files := stockRoot(t)
	bad := "/etc/ssh/sshd_config.d/60-broken.conf"
	files[bad] = "Port 2222\nNoSuchKeyword yes\n"
	writeFiles(t, h.Root(), map[string]string{bad: files[bad]})
	m := New()
	p := mustPlan(t, m, readState(t, m, h))
	err := m.Apply(context.Background(), h, p)
	if err == nil || !strings.Contains(err.Error(), "sshd: validate candidate") || !strings.Contains(err.Error(), "NoSuchKeyword") {
		t.Fatalf("want sshd -t to reject the candidate naming the bad line, got %v", err)
	}
	t.Log(err)
	if strings.Contains(err.Error(), "harden-sshd-") {
		t.Errorf("the error names the temporary copy instead of the operator's file: %v", err)
	}
	for p, want := range files {
		if got, _ := h.ReadFile(p); string(got) != want {
			t.Errorf("%s changed although sshd -t rejected the candidate", p)
		}
	}
	if steps := h.Journal().Steps(); len(steps) != 0 {
		t.Errorf("journal has steps after a rejected candidate: %v", steps)
	}
}

// On the live machine Read asks the real sshd; it must agree with sshd -T
// and never change anything (Read has no journal to write to).
func TestRootReadLiveMatchesSSHDT(t *testing.T) {
	needSSHD(t)
	if _, err := os.Stat(configPath); err != nil {
		t.Skip("no /etc/ssh/sshd_config on this machine")
	}
	if _, err := os.Stat("/etc/ssh/ssh_host_ed25519_key"); err != nil {
		t.Skip("this machine has no sshd host keys (sshd -T needs them)")
	}
	h := host.New(host.Options{Root: "/", Systemd: &hosttest.Systemd{}})
	m := New()
	st := readState(t, m, h)
	if !st.Live {
		t.Fatalf("Read on / did not use sshd -T: %v", st.Warnings)
	}
	// The installed release comes from the package database: sshd -T is
	// the only command a plan runs.
	if n := h.Execs(); st.OpenSSH.Package != "" && !st.OpenSSH.Queried && n != 1 {
		t.Errorf("Read ran %d commands, want only sshd -T", n)
	}
	t.Logf("live: %s", st.OpenSSH.note())
	out, err := exec.Command("sshd", "-T").Output()
	if err != nil {
		t.Fatal(err)
	}
	dump := parseDump(string(out))
	for key, e := range st.Effective {
		if !printedByT(key) {
			continue
		}
		if !sameValues(key, dump[key], e.Values) {
			t.Errorf("%s: Read says %v, sshd -T says %v", key, e.Values, dump[key])
		}
	}
}

// Keywords whose values accumulate across files (Port, AllowUsers) cannot
// be outvoted by the block: the drop-in's lines must be turned off, and
// the real sshd must then listen only where the profile says.
func TestRootAccumulatingKeywordsInDropIns(t *testing.T) {
	needSSHD(t)
	h, files := stockRoot(t)
	extra := "/etc/ssh/sshd_config.d/10-extra.conf"
	files[extra] = "Port 2222\nAllowUsers bob\nPermitRootLogin yes\n"
	writeFiles(t, h.Root(), map[string]string{extra: files[extra]})
	m := New()
	if diags := decodeSrc(t, m, "sshd {\n  port = [2200, 2201]\n  allow_users = [\"deploy\", \"admin\"]\n"+
		"  permit_root_login = \"prohibit-password\"\n  login_grace_time = 45\n}\n"); diags != "" {
		t.Fatal(diags)
	}
	if got := sshdDump(t, h)["port"]; !sameValues("port", got, []string{"2222"}) {
		t.Fatalf("before apply sshd -T port = %v, want the drop-in's 2222", got)
	}
	p := mustPlan(t, m, readState(t, m, h))
	findChange(t, p, "sshd.file["+extra+"]")
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	after := sshdDump(t, h)
	for key, want := range map[string][]string{
		"port": {"2200", "2201"}, "allowusers": {"deploy", "admin"},
		"permitrootlogin": {"without-password"}, "logingracetime": {"45"},
	} {
		if !sameValues(key, want, after[key]) {
			t.Errorf("after apply sshd -T %s = %v, want %v", key, after[key], want)
		}
	}
	if p2 := mustPlan(t, m, readState(t, m, h)); !p2.Empty() {
		t.Errorf("second plan not empty:\n%s", planText(p2, h.Root()))
	}
}

// withoutPrivsepDir hides /run/sshd for the test, as on a build machine
// where sshd never ran or a socket-activated sshd nobody connected to yet.
func withoutPrivsepDir(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(privsepDir); err == nil {
		hidden := privsepDir + ".harden-test"
		if err := os.Rename(privsepDir, hidden); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Rename(hidden, privsepDir) })
	}
	if out, err := exec.Command("sshd", "-t").CombinedOutput(); err == nil || !strings.Contains(string(out), "privilege separation") {
		t.Fatalf("sshd -t should fail without %s, got %v: %s", privsepDir, err, out)
	}
}

// An image is validated and planned on a machine without /run/sshd, and
// nothing is left on the machine: the directory lives in a private mount
// namespace for the one sshd process.
func TestRootOfflineWithoutPrivsepDir(t *testing.T) {
	needSSHD(t)
	withoutPrivsepDir(t)
	h, _ := stockRoot(t)
	m := New()
	p := mustPlan(t, m, readState(t, m, h))
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatalf("offline apply without %s: %v", privsepDir, err)
	}
	if _, err := os.Stat(privsepDir); !os.IsNotExist(err) {
		t.Errorf("%s was created on the machine (%v)", privsepDir, err)
	}
}

// The live read (`sshd -T`) works before ssh.service ever ran.
func TestRootLiveReadWithoutPrivsepDir(t *testing.T) {
	needSSHD(t)
	withoutPrivsepDir(t)
	h, _ := stockRoot(t)
	m := New()
	out, err := m.runSSHD(context.Background(), h, "-T", "-f", h.Path(configPath))
	if err != nil {
		t.Fatalf("sshd -T without %s: %v", privsepDir, err)
	}
	if !strings.Contains(string(out), "passwordauthentication yes") {
		t.Errorf("sshd -T printed no config:\n%.300s", out)
	}
}

// sshd itself says which connections a Match block reaches: a Match that
// gives root its login back is a risk for root, and for nobody else.
func TestRootMatchBlockRisk(t *testing.T) {
	needSSHD(t)
	h, _ := stockRoot(t)
	m := New()
	main := rewriteMain("PermitRootLogin no\nMatch Address 192.0.2.0/24\n  PermitRootLogin yes\n", m.want)
	cfg := filepath.Join(t.TempDir(), "sshd_config")
	if err := os.WriteFile(cfg, []byte("HostKey "+h.Path("/etc/ssh/ssh_host_ed25519_key")+"\n"+main), 0o600); err != nil {
		t.Fatal(err)
	}
	conns := matchConnections(map[string]string{configPath: main})
	var found []string
	for _, c := range conns {
		out, err := m.runSSHD(context.Background(), h, "-T", "-f", cfg, "-C", c.spec())
		if err != nil {
			t.Fatalf("sshd -T -C %s: %v", c.spec(), err)
		}
		for _, r := range m.weakerFor(c, parseDump(string(out)), nil) {
			found = append(found, c.String()+": "+r.Message)
		}
	}
	if len(found) != 1 || !strings.Contains(found[0], "user root from 192.0.2.0") ||
		!strings.Contains(found[0], "PermitRootLogin yes") {
		t.Errorf("risks = %q, want root from 192.0.2.0 only", found)
	}
}
