package sshd

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"harden/modules/module"
)

// access: who may log in, and what they are told first.
func (a sshdAudit) access() []module.Finding {
	allow := module.Finding{Control: "sshd.allow", Title: "AllowUsers/AllowGroups/DenyUsers/DenyGroups set",
		Refs: module.Refs(module.CIS, "5.1.4"), Managed: true}
	var set []string
	for _, kw := range []string{"AllowUsers", "AllowGroups", "DenyUsers", "DenyGroups"} {
		if v, _ := a.value(strings.ToLower(kw)); len(v) > 0 {
			set = append(set, kw+" "+strings.Join(v, " "))
		}
	}
	allow.Found, allow.Status = strings.Join(set, "; "), module.Verdict(len(set) > 0)

	banner := module.Finding{Control: "sshd.banner", Title: "Banner: a warning naming no system or version",
		Refs: module.Refs(module.CIS, "5.1.5"), Managed: true}
	path := a.one("banner")
	text, read := a.st.Beside.Banners[path]
	switch {
	case path == "" || path == "none":
		banner.Found, banner.Status = "none", module.Fail
	case !read:
		banner.Found, banner.Status, banner.Note = path, module.Fail, path+" is missing"
	default:
		banner.Found = path
		if leak := bannerLeak(text); leak != "" {
			banner.Status, banner.Note = module.Fail, "the banner gives away "+leak
		} else {
			banner.Status = module.Pass
		}
	}
	return []module.Finding{allow, banner}
}

// bannerEscapes are getty's escapes for the system's name, release and
// machine (CIS 1.7 and 5.1.5 look for them), and the names of the systems
// harden runs on.
var bannerEscapes = regexp.MustCompile(`\\[mrsv]|(?i)\b(debian|ubuntu|gnu/linux|linux)\b`)

func bannerLeak(text string) string {
	if m := bannerEscapes.FindString(text); m != "" {
		return fmt.Sprintf("%q", m)
	}
	return ""
}

// allowed is each list's acceptable algorithms: harden's choices, across
// releases (algorithms.go), so a set chosen for any release passes.
func (a sshdAudit) crypto() []module.Finding {
	type list struct {
		id, key, title string
		refs           []module.Ref
	}
	lists := []list{
		{"kex", kexKey, "KexAlgorithms: PQ hybrids first, none weak",
			module.Refs(module.CIS, "5.1.12", module.DevSec, "sshd-02", module.SSHAudit, "kex")},
		{"ciphers", ciphersKey, "Ciphers: ChaCha20-Poly1305, AES-GCM, AES-CTR",
			module.Refs(module.CIS, "5.1.6", module.DevSec, "sshd-01", module.SSHAudit, "ciphers")},
		{"macs", macsKey, "MACs: SHA-2 encrypt-then-MAC only",
			module.Refs(module.CIS, "5.1.15", module.DevSec, "sshd-03", module.SSHAudit, "macs")},
		{"host-key-algorithms", hostKeysKey, "HostKeyAlgorithms: Ed25519, RSA-SHA2 only",
			module.Refs(module.SSHAudit, "host keys")},
	}
	var out []module.Finding
	for _, l := range lists {
		f := module.Finding{Control: "sshd." + l.id, Title: l.title, Refs: l.refs, Managed: true}
		names := strings.Split(a.one(l.key), ",")
		var weak []string
		for _, n := range names {
			if !slices.Contains(preferred[l.key], n) {
				weak = append(weak, n)
			}
		}
		switch {
		case len(weak) > 0:
			f.Status, f.Found = module.Fail, strings.Join(weak, ",")
		case l.key == kexKey && !a.hybridFirst(names):
			f.Status, f.Found = module.Fail, names[0]+" first"
			f.Note = "the release offers a post-quantum hybrid key exchange; it goes first"
		default:
			f.Status, f.Found = module.Pass, fmt.Sprintf("%d algorithms", len(names))
		}
		out = append(out, f)
	}
	out[0].Note = strings.TrimPrefix(out[0].Note+"; no SHA-1, NIST curves or groups under 3072 bits; dev-sec's "+
		"list predates ML-KEM; on OpenSSH 10 curve25519 stays behind the hybrids for clients without one (README)", "; ")
	return out
}

// hybridFirst: where the release offers a post-quantum hybrid, the list
// starts with one.
func (a sshdAudit) hybridFirst(names []string) bool {
	rel := a.st.OpenSSH.rel
	if rel == nil || len(names) == 0 {
		return true
	}
	for _, h := range []string{"mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"} {
		if slices.Contains(rel.defaults[kexKey], h) {
			return strings.HasPrefix(names[0], "mlkem") || strings.HasPrefix(names[0], "sntrup")
		}
	}
	return true
}

// hostKeys: what sshd offers, how big, and the moduli for group exchange.
func (a sshdAudit) hostKeys() []module.Finding {
	offered := module.Finding{Control: "sshd.host-keys", Title: "host keys offered: Ed25519 and RSA only",
		Refs: module.Refs(module.DevSec, "sshd-14", module.SSHAudit, "host keys"), Managed: true, Status: module.Pass}
	rsaSize := module.Finding{Control: "sshd.rsa-host-key", Title: "RSA host key 4096 bits or more",
		Refs: module.Refs(module.DevSec, "sshd-50", module.SSHAudit, "host key sizes"), Managed: true, Status: module.Pass}
	paths, _ := a.value("hostkey")
	var types []string
	for _, p := range paths {
		k, _ := findHostKey(a.st.Beside.HostKeys, p)
		switch {
		case k.Type == "":
			continue // sshd skips a key it cannot load
		case k.Type != ssh.KeyAlgoED25519 && k.Type != ssh.KeyAlgoRSA:
			offered.Status = module.Fail
		case k.Type == ssh.KeyAlgoRSA:
			rsaSize.Found = fmt.Sprintf("%d bits", k.Bits)
			if k.Bits < minRSAHostKeyBits {
				rsaSize.Status = module.Fail
			}
		}
		types = append(types, strings.TrimPrefix(k.Type, "ssh-"))
	}
	offered.Found = strings.Join(types, ", ")
	if rsaSize.Found == "" {
		rsaSize.Status, rsaSize.Note = module.NotApplicable, "sshd offers no RSA host key"
	}
	mo := a.st.Beside.Moduli
	moduli := module.Finding{Control: "sshd.moduli", Title: "DH group-exchange moduli 3072 bits or more",
		Refs: module.Refs(module.SSHAudit, "guide", module.DevSec, "sshd-48"), Managed: true}
	switch {
	case !mo.Exists:
		moduli.Status, moduli.Note = module.NotApplicable, moduliPath+" is missing: sshd uses its built-in groups"
	default:
		moduli.Found = fmt.Sprintf("%d moduli, smallest %d bits", mo.Total, mo.Smallest)
		moduli.Status = module.Verdict(mo.Smallest >= defaultModuliMinBits || mo.Total == 0)
	}
	return []module.Finding{offered, rsaSize, moduli}
}

// others: what overrides the config, and Match blocks.
func (a sshdAudit) others() []module.Finding {
	opts := module.Finding{Control: "sshd.command-line", Title: "no -o option for sshd in /etc/default/ssh",
		Refs: module.Refs(module.DevSec, "sshd-49"), Found: a.st.Beside.SSHDOpts}
	opts.Status = module.Verdict(!strings.Contains(a.st.Beside.SSHDOpts, "-o"))
	port := module.Finding{Control: "sshd.port", Title: "Port written in the config", Refs: module.Refs(module.DevSec, "sshd-07"),
		Managed: true, Found: a.one("port")}
	port.Status = module.Verdict(a.st.Effective["port"].Source != "")
	port.Note = "dev-sec's input sshd_custom_port names the port; harden moves sshd off 22"
	match := module.Finding{Control: "sshd.match", Title: "no Match block weakens a connection's settings",
		Refs: module.Refs(module.Harden, "match"), Status: module.Pass}
	if !a.st.Live {
		match.Status, match.Note = module.NotApplicable, "sshd -T -C did not run (offline)"
	}
	for _, r := range a.st.Risks {
		match.Status = module.Fail
		match.Found = r.Message
	}
	return []module.Finding{opts, port, match}
}

// departures are the references' controls harden does not take, and why
// (README: By the book).
var departures = []module.Finding{
	{Control: "sshd.listen-address", Title: "ListenAddress names an address", Status: module.NotApplicable,
		Refs: module.Refs(module.DevSec, "sshd-09"),
		Note: "not set: a VPS's address can change with its provider, and an sshd bound to the old one shuts everyone out; the firewall limits who reaches the port"},
	{Control: "sshd.obsolete", Title: "Protocol, UseLogin, UsePrivilegeSeparation", Status: module.NotApplicable,
		Refs: module.Refs(module.DevSec, "sshd-10", module.DevSec, "sshd-15", module.DevSec, "sshd-16"),
		Note: "gone from OpenSSH since 7.4 and 7.5: sshd speaks protocol 2 alone and always separates privileges"},
	{Control: "sshd.pubkey-accepted-algorithms", Title: "PubkeyAcceptedAlgorithms without ECDSA", Status: module.NotApplicable,
		Refs: module.Refs(module.SSHAudit, "guide"),
		Note: "harden departs: hardware-backed user keys (Secure Enclave, PIV tokens, TPMs) are ECDSA P-256 only"},
	{Control: "sshd.certificates-hostbased-gssapi-kex", Title: "CA, host-based and GSSAPI kex algorithms",
		Status: module.NotApplicable, Refs: module.Refs(module.SSHAudit, "guide"),
		Note: "apply only with user certificates, host-based login or GSSAPI key exchange, all off on a key-only VPS"},
}
