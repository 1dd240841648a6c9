package sshd

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"harden/modules/host"
	"harden/modules/module"
)

// The host keys: sshd offers Ed25519 and RSA only (HostKey lines for those
// two, ssh-audit's guides), and an RSA key under 4096 bits (Debian makes
// 3072) is replaced by a new 4096-bit one (dev-sec sshd-50, ssh-audit's
// policies). The Ed25519 key, the one current clients use and have
// pinned, is never touched. A client that pinned the old RSA key sees a
// changed host key: the plan names its fingerprint and warns.
// keep_rsa_host_key = true keeps the old key.

// minRSAHostKeyBits is the smallest RSA host key harden keeps.
const minRSAHostKeyBits = 4096

// hostKey is one host key file as Read found it.
type hostKey struct {
	Path string `json:"path"`
	// Type is the key's SSH name ("ssh-rsa", "ssh-ed25519"); "" when the
	// file is missing or unreadable (Err says which).
	Type        string `json:"type,omitempty"`
	Bits        int    `json:"bits,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Err         string `json:"error,omitempty"`
}

// readHostKey describes a host key from its public half, or from the
// private key when the .pub file is missing.
func readHostKey(h *host.Host, p string) hostKey {
	k := hostKey{Path: p}
	var pub ssh.PublicKey
	if data, err := h.ReadFile(p + ".pub"); err == nil {
		pub, _, _, _, err = ssh.ParseAuthorizedKey(data)
		if err != nil {
			k.Err = fmt.Sprintf("%s.pub: %v", p, err)
			return k
		}
	} else {
		data, err := h.ReadFile(p)
		if err != nil {
			k.Err = err.Error()
			return k
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			k.Err = fmt.Sprintf("%s: %v", p, err)
			return k
		}
		pub = signer.PublicKey()
	}
	k.Type, k.Fingerprint, k.Bits = pub.Type(), ssh.FingerprintSHA256(pub), keyBits(pub)
	return k
}

// keyBits is a public key's size: RSA's modulus, ECDSA's curve, 256 for
// Ed25519.
func keyBits(pub ssh.PublicKey) int {
	cpk, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch k := cpk.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	}
	if pub.Type() == ssh.KeyAlgoED25519 {
		return 256
	}
	return 0
}

// hostKeyPaths are the host keys Read describes: those sshd loads now and
// those the profile wants.
func hostKeyPaths(effective, wanted []string) []string {
	var out []string
	for _, p := range append(append([]string(nil), effective...), wanted...) {
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func findHostKey(keys []hostKey, p string) (hostKey, bool) {
	for _, k := range keys {
		if k.Path == p {
			return k, true
		}
	}
	return hostKey{}, false
}

// rsaHostKeyChange replaces an RSA host key under 4096 bits, or makes one
// that is missing, when the desired HostKey lines name it. Only on the
// live machine: an image's host keys would be every clone's (cloud-init
// makes new ones at first boot; harden then replaces a small one there).
func (m *Module) rsaHostKeyChange(st *State, desired map[string][]string) *module.Change {
	if st.Offline || m.keepRSAHostKey || !contains(desired["hostkey"], rsaHostKey) {
		return nil
	}
	old, _ := findHostKey(st.Beside.HostKeys, rsaHostKey)
	if old.Type != "" && (old.Type != ssh.KeyAlgoRSA || old.Bits >= minRSAHostKeyBits) {
		return nil
	}
	ch := module.Change{Module: "sshd", Address: "sshd.host_key[" + rsaHostKey + "]", Action: module.Create,
		Fields: []module.Field{
			{Name: "bits", BeforeUnset: true, After: fmt.Sprint(minRSAHostKeyBits)},
			{Name: "fingerprint", BeforeUnset: true, After: "(new, known once apply has generated it)"},
		},
		Data: &hostKeyChange{Path: rsaHostKey, Bits: minRSAHostKeyBits, Comment: "root@" + st.Hostname}}
	if old.Type == "" {
		return &ch
	}
	ch.Action = module.Replace
	ch.Fields[0].BeforeUnset, ch.Fields[0].Before = false, fmt.Sprint(old.Bits)
	ch.Fields[1].BeforeUnset, ch.Fields[1].Before = false, old.Fingerprint
	warning := fmt.Sprintf("the RSA host key changes: a client that pinned %s (RSA) sees a changed host key and "+
		"refuses to connect until that entry is removed from its known_hosts (ssh-keygen -R HOST)", old.Fingerprint)
	if ed, ok := findHostKey(st.Beside.HostKeys, ed25519HostKey); ok && ed.Type != "" {
		warning += fmt.Sprintf("; the Ed25519 key %s, which current clients use, stays", ed.Fingerprint)
	}
	ch.Warnings = []string{warning + "; keep_rsa_host_key = true keeps the old key"}
	return &ch
}

// hostKeyChange makes a new RSA host key (private 0600, public 0644, root)
// in place of the old one, whose bytes the journal keeps for undo.
type hostKeyChange struct {
	Path    string
	Bits    int
	Comment string
	withJobs
}

func (c *hostKeyChange) run(_ context.Context, h *host.Host) error {
	key, err := rsa.GenerateKey(rand.Reader, c.Bits)
	if err != nil {
		return fmt.Errorf("generate %s: %w", c.Path, err)
	}
	block, err := ssh.MarshalPrivateKey(key, c.Comment)
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.Path, err)
	}
	pub, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encode %s.pub: %w", c.Path, err)
	}
	line := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n") + " " + c.Comment + "\n"
	if err := h.WriteFile(c.Path, pem.EncodeToMemory(block), &host.FileMeta{Mode: 0o600}); err != nil {
		return err
	}
	return h.WriteFile(c.Path+".pub", []byte(line), &host.FileMeta{Mode: 0o644})
}
