package sshd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/module"
)

// algoQueries names, for each algorithm keyword, its `ssh -Q` query and
// what one of its names is.
var algoQueries = []struct{ key, query, what string }{
	{kexKey, "kex", "key exchange algorithm"},
	{ciphersKey, "cipher", "cipher"},
	{macsKey, "mac", "MAC"},
	{hostKeysKey, "HostKeyAlgorithms", "host key algorithm"},
}

func algoQuery(key string) (query, what string) {
	for _, q := range algoQueries {
		if q.key == key {
			return q.query, q.what
		}
	}
	return "", ""
}

// preferred lists, for each algorithm keyword, every algorithm harden
// offers, best first. A release's hardened set is the part of it that the
// release offers by default: harden reorders and removes, it never turns
// on what the distribution turned off (sshd 10.0 dropped finite-field
// Diffie-Hellman from its defaults, so harden does not bring it back).
//
// The choices follow ssh-audit's hardening guides (Debian 12 for 9.x,
// Debian 13 and OpenSSH 10.x) and CIS Debian Linux 12 §5.1:
//   - key exchange: the post-quantum hybrids first, ML-KEM before NTRU
//     Prime as OpenSSH 10 orders them; no NIST curves (ecdh-sha2-*,
//     mlkem768nistp256-sha256), no SHA-1, no 2048-bit groups. Unlike
//     ssh-audit's Debian 13 guide, curve25519 stays behind the hybrids:
//     clients without a post-quantum exchange (Windows 10's OpenSSH 8.1,
//     PuTTY before 0.78, Paramiko) would otherwise be locked out.
//   - ciphers: AEAD and CTR modes only, in dev-sec's order (sshd-01 wants
//     this very list; ssh-audit's guides take the same set).
//   - MACs: SHA-2 encrypt-then-MAC only. umac-128-etm, which ssh-audit's
//     guides keep, is left out: CIS 5.1.15 lists it as weak.
//   - host keys: Ed25519 and RSA with SHA-2, plain, certificates and FIDO
//     keys; no ECDSA (NIST curves), no ssh-rsa (SHA-1); the ML-DSA-44 +
//     Ed25519 composite last, where the release offers it.
var preferred = map[string][]string{
	kexKey: {"mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"},
	ciphersKey: {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
		"aes256-ctr", "aes192-ctr", "aes128-ctr"},
	macsKey: {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"},
	hostKeysKey: {"sk-ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
		"rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
		"sk-ssh-ed25519@openssh.com", "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256",
		"ssh-mldsa44-ed25519-cert", "ssh-mldsa44-ed25519"},
}

// hardened is the release's hardened set for an algorithm keyword: the
// preferred algorithms it offers by default, in harden's order. Nil when
// it offers none of them (a build harden does not know).
func (r *release) hardened(key string) []string {
	var out []string
	for _, a := range preferred[key] {
		if slices.Contains(r.defaults[key], a) {
			out = append(out, a)
		}
	}
	return out
}

// everyName holds, by keyword, every name some known release (or
// distribution build) accepts: what offline validation allows.
var everyName = func() map[string][]string {
	out := map[string][]string{}
	add := func(r *release) {
		for _, key := range algoKeys {
			for _, a := range r.known[key] {
				if !slices.Contains(out[key], a) {
					out[key] = append(out[key], a)
				}
			}
		}
	}
	for _, r := range releases {
		add(r)
	}
	for _, b := range distroBuilds {
		r, _ := releaseByVersion(b.upstream)
		add(r.apply(b.change))
	}
	return out
}()

// availability says which releases accept name for key: "OpenSSH 9.9 and
// later", "OpenSSH 9.2 to 9.7", plus the distribution builds that add it.
func availability(key, name string) string {
	var spans []string
	for i := 0; i < len(releases); i++ {
		if !releases[i].knows(key, name) {
			continue
		}
		j := i
		for j+1 < len(releases) && releases[j+1].knows(key, name) {
			j++
		}
		switch {
		case j == len(releases)-1:
			spans = append(spans, "OpenSSH "+releases[i].Version+" and later")
		case i == j:
			spans = append(spans, "OpenSSH "+releases[i].Version)
		default:
			spans = append(spans, "OpenSSH "+releases[i].Version+" to "+releases[j].Version)
		}
		i = j
	}
	for _, b := range distroBuilds {
		if slices.Contains(strings.Fields(b.change.add[key]), name) {
			spans = append(spans, b.String())
		}
	}
	return strings.Join(spans, ", ")
}

// checkAlgorithm is offline validation of one name of an algorithm list:
// it must be a name of that kind in some OpenSSH release harden knows.
func checkAlgorithm(s *setting, rng hcl.Range, name string) *hcl.Diagnostic {
	key := strings.ToLower(s.keyword)
	if slices.Contains(everyName[key], name) {
		return nil
	}
	query, what := algoQuery(key)
	expected := fmt.Sprintf("a %s of OpenSSH %s (ssh -Q %s)", what, span(), query)
	for _, q := range algoQueries {
		if q.key != key && slices.Contains(everyName[q.key], name) {
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + s.attr,
				Detail: fmt.Sprintf("%s: %q is a %s (%s), not a %s; expected %s.",
					s.attr, name, q.what, availability(q.key, name), what, expected),
				Subject: rng.Ptr()}
		}
	}
	return module.BadValue(rng, s.attr, name, expected+"; no known release has it", everyName[key])
}

// checkInstalled refuses profile-chosen algorithm names the installed
// OpenSSH does not know: `harden validate` accepts any release's names,
// the plan knows the machine.
func (m *Module) checkInstalled(o installed) error {
	for _, key := range algoKeys {
		v := m.want[key]
		if len(v) == 0 {
			continue
		}
		s := settingByKey[key]
		for _, name := range strings.Split(v[0], ",") {
			if o.rel.knows(key, name) {
				continue
			}
			at := ""
			if r, ok := m.ranges[key][name]; ok {
				at = fmt.Sprintf("%s:%d:%d: ", r.Filename, r.Start.Line, r.Start.Column)
			}
			return fmt.Errorf("sshd: %s%s: %q is not known to %s; it is in %s. Remove it from the profile, "+
				"or upgrade %s", at, s.attr, name, o.installedHere(), availability(key, name), serverPackage)
		}
	}
	return nil
}

// explainOpenSSH notes the release the algorithm lists were chosen for,
// warns when it is a guess, and names each list left to harden that the
// release has no hardened choice for.
func (m *Module) explainOpenSSH(p *module.Plan, o installed, desired map[string][]string) {
	managed := false
	for _, key := range algoKeys {
		v, wanted := m.want[key]
		if _, chosen := desired[key]; wanted && v == nil && !chosen {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s offers none of harden's %s choices by default: "+
				"%s is left as it is", o.Release, settingByKey[key].attr, settingByKey[key].keyword))
		}
		managed = managed || wanted
	}
	if !managed {
		return
	}
	p.Notes = append(p.Notes, o.note())
	if o.Warning != "" {
		p.Warnings = append(p.Warnings, o.Warning)
	}
}
