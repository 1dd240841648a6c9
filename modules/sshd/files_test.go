package sshd

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"harden/modules/host"
	"harden/modules/module"
)

// moduliFixture is a moduli file with a comment and moduli of 2048, 3072
// and 4096 bits (size fields 2047, 3071, 4095).
const moduliFixture = "#    $OpenBSD: moduli,v 1.35 $\n" +
	"20230726180231 2 6 100 2047 5 E1\n" +
	"20230726180232 2 6 100 3071 2 E2\n" +
	"20230726180233 2 6 100 4095 5 E3\n"

// The weak moduli go, atomically and with a backup (undo gives the file
// back byte for byte); the plan shows counts, not a diff; a second plan
// has nothing to do.
func TestModuliFilteredIdempotentUndone(t *testing.T) {
	files := stockFiles(t)
	files[moduliPath] = moduliFixture
	h, _ := newRoot(t, files)
	m := New()
	m.validator = (&recordingValidator{}).check
	p := mustPlan(t, m, readState(t, m, h))
	ch := findChange(t, p, "sshd.file["+moduliPath+"]")
	if ch.Before != "" || ch.After != "" {
		t.Error("the moduli change carries the whole file: the plan would show a diff of hundreds of kilobytes")
	}
	if f := ch.Fields[0]; f.Before != "3" || f.After != "2" {
		t.Errorf("moduli field %+v, want 3 -> 2", f)
	}
	if f := ch.Fields[1]; f.Before != "2048 bits" {
		t.Errorf("smallest field %+v, want 2048 bits before", f)
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	got, _ := h.ReadFile(moduliPath)
	if want := "#    $OpenBSD: moduli,v 1.35 $\n20230726180232 2 6 100 3071 2 E2\n20230726180233 2 6 100 4095 5 E3\n"; string(got) != want {
		t.Errorf("moduli after apply:\n%s\nwant:\n%s", got, want)
	}
	if p2 := mustPlan(t, m, readState(t, m, h)); hasAddress(p2, "sshd.file["+moduliPath+"]") {
		t.Error("a second plan filters moduli again")
	}
	if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.ReadFile(moduliPath); string(got) != moduliFixture {
		t.Errorf("undo did not restore moduli:\n%s", got)
	}
}

func TestModuliMinBitsNullLeavesTheFile(t *testing.T) {
	files := stockFiles(t)
	files[moduliPath] = moduliFixture
	h, _ := newRoot(t, files)
	m := New()
	if d := decodeSrc(t, m, "sshd {\n  moduli_min_bits = null\n}\n"); d != "" {
		t.Fatal(d)
	}
	if hasAddress(mustPlan(t, m, readState(t, m, h)), "sshd.file["+moduliPath+"]") {
		t.Error("moduli_min_bits = null still filters moduli")
	}
}

// sshd_config and drop-ins get 0600, keys 0600 and 0644, all root's; a
// stricter mode stays.
func TestFileModes(t *testing.T) {
	files := stockFiles(t)
	files["/etc/ssh/ssh_host_ed25519_key.pub"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJw1i/HpSbwP66VcN5SirnFOLOZ/PIQikwe8UTrCRjVC root@vps\n"
	h, _ := newRoot(t, files)
	chmod(t, h, configPath, 0o644)
	chmod(t, h, "/etc/ssh/sshd_config.d/50-cloud-init.conf", 0o400)
	chmod(t, h, "/etc/ssh/ssh_host_ed25519_key.pub", 0o664)
	m := New()
	p := mustPlan(t, m, readState(t, m, h))
	if f := findChange(t, p, "sshd.file_mode["+configPath+"]").Fields[0]; f.Before != "0644" || f.After != "0600" {
		t.Errorf("sshd_config mode %+v, want 0644 -> 0600", f)
	}
	if f := findChange(t, p, "sshd.file_mode[/etc/ssh/ssh_host_ed25519_key.pub]").Fields[0]; f.After != "0644" {
		t.Errorf("public key mode %+v, want 0644", f)
	}
	if hasAddress(p, "sshd.file_mode[/etc/ssh/sshd_config.d/50-cloud-init.conf]") {
		t.Error("a 0400 drop-in is stricter than 0600 and must stay")
	}
	m.validator = (&recordingValidator{}).check
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if meta, _ := h.Meta(configPath); meta.Mode != 0o600 {
		t.Errorf("sshd_config mode after apply %04o", meta.Mode)
	}
	for _, c := range mustPlan(t, m, readState(t, m, h)).Changes {
		if strings.HasPrefix(c.Address, "sshd.file_mode[") {
			t.Errorf("second plan still changes %s", c.Address)
		}
	}
}

// The banner file says what the profile says, and nothing of the system.
func TestBannerFile(t *testing.T) {
	h, _ := newRoot(t, stockFiles(t))
	m := New()
	m.validator = (&recordingValidator{}).check
	p := mustPlan(t, m, readState(t, m, h))
	ch := findChange(t, p, "sshd.file["+defaultBanner+"]")
	if ch.Action != module.Create || ch.After != defaultBannerText {
		t.Errorf("banner change %s %q", ch.Action, ch.After)
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if meta, _ := h.Meta(defaultBanner); meta.Mode != 0o644 {
		t.Errorf("banner mode %04o, want 0644", meta.Mode)
	}
	if d := decodeSrc(t, m, "sshd {\n  banner_text = \"Keep out.\"\n}\n"); d != "" {
		t.Fatal(d)
	}
	p = mustPlan(t, m, readState(t, m, h))
	if ch := findChange(t, p, "sshd.file["+defaultBanner+"]"); ch.Before != defaultBannerText || ch.After != "Keep out.\n" {
		t.Errorf("banner update %q -> %q", ch.Before, ch.After)
	}
}

// An RSA host key under 4096 bits is replaced on the live machine: the
// plan names the old fingerprint and warns of clients that pinned it; the
// new key is 4096 bits, private 0600 and public 0644; the Ed25519 key is
// untouched; undo gives the old key back.
func TestRSAHostKeyReplaced(t *testing.T) {
	files := stockFiles(t)
	oldRSA := writeKeyFiles(t, files, rsaHostKey, 2048)
	edPub := writeKeyFiles(t, files, ed25519HostKey, 0)
	h, _ := newRoot(t, files)
	m := New()
	m.validator = (&recordingValidator{}).check
	st := liveSocketState(t, m, h)
	p := mustPlan(t, m, st)
	ch := findChange(t, p, "sshd.host_key["+rsaHostKey+"]")
	if ch.Action != module.Replace || ch.Fields[0].Before != "2048" || ch.Fields[0].After != "4096" {
		t.Errorf("host key change %s %+v", ch.Action, ch.Fields)
	}
	warn := strings.Join(ch.Warnings, "\n")
	for _, want := range []string{oldRSA.fingerprint, edPub.fingerprint, "known_hosts", "keep_rsa_host_key"} {
		if !strings.Contains(warn, want) {
			t.Errorf("the warning does not mention %q:\n%s", want, warn)
		}
	}
	if !reloads(p) {
		t.Error("a new host key needs sshd reloaded")
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	k := readHostKey(h, rsaHostKey)
	if k.Type != ssh.KeyAlgoRSA || k.Bits != 4096 || k.Fingerprint == oldRSA.fingerprint {
		t.Errorf("new RSA key %+v", k)
	}
	if meta, _ := h.Meta(rsaHostKey); meta.Mode != 0o600 {
		t.Errorf("private key mode %04o", meta.Mode)
	}
	if priv, _ := h.ReadFile(rsaHostKey); !strings.Contains(string(priv), "OPENSSH PRIVATE KEY") {
		t.Error("the new private key is not in OpenSSH's format")
	}
	if got := readHostKey(h, ed25519HostKey); got.Fingerprint != edPub.fingerprint {
		t.Error("the Ed25519 key changed")
	}
	if hasAddress(mustPlan(t, m, liveSocketState(t, m, h)), "sshd.host_key["+rsaHostKey+"]") {
		t.Error("a 4096-bit key is replaced again")
	}
	if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if got := readHostKey(h, rsaHostKey); got.Fingerprint != oldRSA.fingerprint {
		t.Error("undo did not give the old RSA key back")
	}
}

func TestRSAHostKeyKeptOnRequestAndOffline(t *testing.T) {
	files := stockFiles(t)
	writeKeyFiles(t, files, rsaHostKey, 2048)
	h, _ := newRoot(t, files)
	m := New()
	if hasAddress(mustPlan(t, m, readState(t, m, h)), "sshd.host_key["+rsaHostKey+"]") {
		t.Error("an image's host key is replaced: every clone would share the new one")
	}
	if d := decodeSrc(t, m, "sshd {\n  keep_rsa_host_key = true\n}\n"); d != "" {
		t.Fatal(d)
	}
	if hasAddress(mustPlan(t, m, liveSocketState(t, m, h)), "sshd.host_key["+rsaHostKey+"]") {
		t.Error("keep_rsa_host_key = true still replaces the key")
	}
}

func TestAllowUsersAdmitsTheAdministrators(t *testing.T) {
	h, _ := newRoot(t, stockFiles(t))
	m := New()
	p := mustPlan(t, m, readState(t, m, h))
	if f := findChange(t, p, "sshd.setting[AllowUsers]").Fields[0]; f.After != "deploy" {
		t.Errorf("AllowUsers -> %q, want the operator deploy", f.After)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "AllowUsers admits the administrators who log in with a key: deploy with /home/deploy/.ssh/authorized_keys") {
		t.Errorf("the plan does not say who is admitted: %q", p.Notes)
	}
	// A profile that restricts by group leaves AllowUsers alone.
	if d := decodeSrc(t, m, "sshd {\n  allow_groups = [\"sudo\"]\n}\n"); d != "" {
		t.Fatal(d)
	}
	if hasAddress(mustPlan(t, m, readState(t, m, h)), "sshd.setting[AllowUsers]") {
		t.Error("AllowUsers is set although the profile restricts by group")
	}
}

func TestDecodeFileAttributes(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"host_keys = [\"ssh_host_rsa_key\"]", "not an absolute path"},
		{"host_keys = []", "the list is empty"},
		{"banner = \"/etc/issue net\"", "expected \"none\" or an absolute path"},
		{"banner_text = \"  \"", "banner_text: the text is empty"},
		{"moduli_min_bits = 1024", "out of range; expected a whole number from 2048 to 8192"},
	} {
		if d := decodeSrc(t, New(), "sshd {\n  "+tt.src+"\n}\n"); !strings.Contains(d, tt.want) {
			t.Errorf("%s: diagnostics %q lack %q", tt.src, d, tt.want)
		}
	}
}

type keyFixture struct{ fingerprint string }

// writeKeyFiles adds a host key pair to files: RSA of bits, Ed25519 when
// bits is 0, ECDSA P-256 when it is -1.
func writeKeyFiles(t *testing.T, files map[string]string, path string, bits int) keyFixture {
	t.Helper()
	var priv any
	if bits < 0 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv = k
	} else if bits > 0 {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		priv = k
	} else {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv = k
	}
	block, err := ssh.MarshalPrivateKey(priv, "root@vps")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	files[path] = string(pem.EncodeToMemory(block))
	files[path+".pub"] = string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	return keyFixture{fingerprint: ssh.FingerprintSHA256(signer.PublicKey())}
}

func chmod(t *testing.T, h *host.Host, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(filepath.Join(h.Root(), p), mode); err != nil {
		t.Fatal(err)
	}
}

func hasAddress(p module.Plan, addr string) bool {
	for _, c := range p.Changes {
		if c.Address == addr {
			return true
		}
	}
	return false
}

func reloads(p module.Plan) bool {
	for _, c := range p.Changes {
		if slices.Contains(c.Effects, "reload "+serviceUnit) {
			return true
		}
	}
	return false
}

func TestParseModuliEdges(t *testing.T) {
	for _, tt := range []struct {
		in, kept           string
		total, weak, small int
	}{
		{"20230726180232 2 6 100 3071 2 E2", "", 1, 0, 3072},                             // no final newline, nothing weak
		{"# c\n20230726180231 2 6 100 2047 5 E1", "# c\n", 1, 1, 2048},                   // the weak line is the last
		{"x y\n\n20230726180233 2 6 100 4095 5 E3\n", "", 1, 0, 4096},                    // malformed and blank lines stay
		{"1 2 6 100 1535 5 E\n1 2 6 100 3071 2 E\n", "1 2 6 100 3071 2 E\n", 2, 1, 1536}, // the weak line is the first
	} {
		m := parseModuli([]byte(tt.in), 3072)
		if m.Total != tt.total || m.Weak != tt.weak || m.Smallest != tt.small || string(m.kept) != tt.kept {
			t.Errorf("parseModuli(%q) = %d total, %d weak, smallest %d, kept %q; want %d, %d, %d, %q",
				tt.in, m.Total, m.Weak, m.Smallest, m.kept, tt.total, tt.weak, tt.small, tt.kept)
		}
	}
}
