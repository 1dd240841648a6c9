package sshd

import (
	"fmt"
	"slices"
	"strings"
)

// The algorithm keywords harden manages, lower case as `sshd -T` prints them.
const (
	kexKey      = "kexalgorithms"
	ciphersKey  = "ciphers"
	macsKey     = "macs"
	hostKeysKey = "hostkeyalgorithms"
)

// algoKeys in the order settings lists them.
var algoKeys = []string{kexKey, ciphersKey, macsKey, hostKeysKey}

// release is what one OpenSSH release's sshd accepts and uses by default
// for the algorithm lists harden manages, as a default Linux build (with
// OpenSSL and security-key support) has them.
type release struct {
	// Version is the upstream release: "9.2", "10.0".
	Version string
	// Build names a distribution build whose lists differ from upstream's
	// ("" for the upstream lists).
	Build string
	// known holds, by keyword, the names `ssh -Q` prints.
	known map[string][]string
	// defaults holds, by keyword, what `sshd -T` prints on an empty config.
	defaults map[string][]string
}

func (r *release) String() string {
	if r.Build != "" {
		return "OpenSSH " + r.Version + " (" + r.Build + ")"
	}
	return "OpenSSH " + r.Version
}

func (r *release) knows(key, name string) bool { return slices.Contains(r.known[key], name) }

// builtin is the compiled-in default of key in sshd_config form.
func (r *release) builtin(key string) string { return strings.Join(r.defaults[key], ",") }

// releaseChange is what one release changed in the lists, as its release
// notes and the portable tree's kex-names.c, cipher.c, mac.c, sshkey.c and
// myproposal.h say. Values are space-separated names.
type releaseChange struct {
	version string
	add     map[string]string
	remove  map[string]string
	// defaults replaces the compiled-in default of a keyword.
	defaults map[string]string
}

// history is every OpenSSH release from 9.2 (Debian 12) on. The lists of
// 9.2, 10.0, 10.3 and 10.6 are checked against the real binaries of
// Debian's packages in testdata/openssh; the releases between follow the
// portable tree's tags.
var history = []releaseChange{{
	version: "9.2",
	add: map[string]string{
		kexKey: "diffie-hellman-group1-sha1 diffie-hellman-group14-sha1 diffie-hellman-group14-sha256 " +
			"diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 diffie-hellman-group-exchange-sha1 " +
			"diffie-hellman-group-exchange-sha256 ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 " +
			"curve25519-sha256 curve25519-sha256@libssh.org sntrup761x25519-sha512@openssh.com",
		ciphersKey: "3des-cbc aes128-cbc aes192-cbc aes256-cbc aes128-ctr aes192-ctr aes256-ctr " +
			"aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com",
		macsKey: "hmac-sha1 hmac-sha1-96 hmac-sha2-256 hmac-sha2-512 hmac-md5 hmac-md5-96 umac-64@openssh.com " +
			"umac-128@openssh.com hmac-sha1-etm@openssh.com hmac-sha1-96-etm@openssh.com hmac-sha2-256-etm@openssh.com " +
			"hmac-sha2-512-etm@openssh.com hmac-md5-etm@openssh.com hmac-md5-96-etm@openssh.com " +
			"umac-64-etm@openssh.com umac-128-etm@openssh.com",
		hostKeysKey: "ssh-ed25519 ssh-ed25519-cert-v01@openssh.com sk-ssh-ed25519@openssh.com " +
			"sk-ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256 ecdsa-sha2-nistp256-cert-v01@openssh.com " +
			"ecdsa-sha2-nistp384 ecdsa-sha2-nistp384-cert-v01@openssh.com ecdsa-sha2-nistp521 " +
			"ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ecdsa-sha2-nistp256@openssh.com " +
			"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com webauthn-sk-ecdsa-sha2-nistp256@openssh.com " +
			"ssh-dss ssh-dss-cert-v01@openssh.com ssh-rsa ssh-rsa-cert-v01@openssh.com rsa-sha2-256 " +
			"rsa-sha2-256-cert-v01@openssh.com rsa-sha2-512 rsa-sha2-512-cert-v01@openssh.com",
	},
	defaults: map[string]string{
		kexKey: "sntrup761x25519-sha512@openssh.com curve25519-sha256 curve25519-sha256@libssh.org " +
			"ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group-exchange-sha256 " +
			"diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 diffie-hellman-group14-sha256",
		ciphersKey: "chacha20-poly1305@openssh.com aes128-ctr aes192-ctr aes256-ctr aes128-gcm@openssh.com " +
			"aes256-gcm@openssh.com",
		macsKey: "umac-64-etm@openssh.com umac-128-etm@openssh.com hmac-sha2-256-etm@openssh.com " +
			"hmac-sha2-512-etm@openssh.com hmac-sha1-etm@openssh.com umac-64@openssh.com umac-128@openssh.com " +
			"hmac-sha2-256 hmac-sha2-512 hmac-sha1",
		hostKeysKey: "ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256-cert-v01@openssh.com " +
			"ecdsa-sha2-nistp384-cert-v01@openssh.com ecdsa-sha2-nistp521-cert-v01@openssh.com " +
			"sk-ssh-ed25519-cert-v01@openssh.com sk-ecdsa-sha2-nistp256-cert-v01@openssh.com " +
			"rsa-sha2-512-cert-v01@openssh.com rsa-sha2-256-cert-v01@openssh.com ssh-ed25519 ecdsa-sha2-nistp256 " +
			"ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 sk-ssh-ed25519@openssh.com sk-ecdsa-sha2-nistp256@openssh.com " +
			"rsa-sha2-512 rsa-sha2-256",
	},
}, {
	version: "9.3",
}, {
	version: "9.4",
}, {
	version: "9.5",
}, {
	version: "9.6", // strict kex against Terrapin: a protocol extension, not a listed name
}, {
	version: "9.7",
}, {
	// DSA is left out of the build unless configure gets --enable-dsa-keys.
	version: "9.8",
	remove:  map[string]string{hostKeysKey: "ssh-dss ssh-dss-cert-v01@openssh.com"},
}, {
	// ML-KEM hybrid key exchange; the NTRU Prime hybrid gets its standard
	// name beside the @openssh.com one.
	version: "9.9",
	add:     map[string]string{kexKey: "sntrup761x25519-sha512 mlkem768x25519-sha256"},
	defaults: map[string]string{kexKey: "sntrup761x25519-sha512 sntrup761x25519-sha512@openssh.com " +
		"mlkem768x25519-sha256 curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 " +
		"ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group-exchange-sha256 diffie-hellman-group16-sha512 " +
		"diffie-hellman-group18-sha512 diffie-hellman-group14-sha256"},
}, {
	// ML-KEM first; sshd stops offering finite-field Diffie-Hellman; AES-GCM
	// before AES-CTR.
	version: "10.0",
	defaults: map[string]string{
		kexKey: "mlkem768x25519-sha256 sntrup761x25519-sha512 sntrup761x25519-sha512@openssh.com " +
			"curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521",
		ciphersKey: "chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr " +
			"aes192-ctr aes256-ctr",
	},
}, {
	version: "10.1",
}, {
	version: "10.2",
}, {
	// Certificates for WebAuthn security keys.
	version: "10.3",
	add:     map[string]string{hostKeysKey: "webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"},
	defaults: map[string]string{hostKeysKey: "ssh-ed25519-cert-v01@openssh.com " +
		"ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384-cert-v01@openssh.com " +
		"ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ssh-ed25519-cert-v01@openssh.com " +
		"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com " +
		"rsa-sha2-512-cert-v01@openssh.com rsa-sha2-256-cert-v01@openssh.com ssh-ed25519 ecdsa-sha2-nistp256 " +
		"ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 sk-ssh-ed25519@openssh.com sk-ecdsa-sha2-nistp256@openssh.com " +
		"webauthn-sk-ecdsa-sha2-nistp256@openssh.com rsa-sha2-512 rsa-sha2-256"},
}, {
	// Experimental composite ML-DSA-44 + Ed25519 signatures, not offered
	// by default.
	version: "10.4",
	add: map[string]string{hostKeysKey: "ssh-mldsa44-ed25519@openssh.com " +
		"ssh-mldsa44-ed25519-cert-v01@openssh.com"},
}, {
	// ML-KEM hybrid with NIST P-256, not offered by default.
	version: "10.5",
	add:     map[string]string{kexKey: "mlkem768nistp256-sha256"},
}, {
	// ML-DSA-44 + Ed25519 under its draft's names, offered last by default.
	version: "10.6",
	remove: map[string]string{hostKeysKey: "ssh-mldsa44-ed25519@openssh.com " +
		"ssh-mldsa44-ed25519-cert-v01@openssh.com"},
	add: map[string]string{hostKeysKey: "ssh-mldsa44-ed25519 ssh-mldsa44-ed25519-cert"},
	defaults: map[string]string{hostKeysKey: "ssh-ed25519-cert-v01@openssh.com " +
		"ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384-cert-v01@openssh.com " +
		"ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ssh-ed25519-cert-v01@openssh.com " +
		"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com " +
		"rsa-sha2-512-cert-v01@openssh.com rsa-sha2-256-cert-v01@openssh.com ssh-mldsa44-ed25519-cert " +
		"ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 sk-ssh-ed25519@openssh.com " +
		"sk-ecdsa-sha2-nistp256@openssh.com webauthn-sk-ecdsa-sha2-nistp256@openssh.com rsa-sha2-512 " +
		"rsa-sha2-256 ssh-mldsa44-ed25519"},
}}

// distroBuild is a distribution's package whose lists differ from its
// upstream release, from the package version since on.
type distroBuild struct {
	name, upstream, since string
	change                releaseChange
}

func (b distroBuild) String() string { return b.name + " of " + b.upstream + " since " + b.since }

// distroBuilds: Debian 12 made the NTRU Prime hybrid available under its
// standard name too (Debian bug #1088873), as upstream did in 9.9.
var distroBuilds = []distroBuild{{
	name: "Debian 12's build", upstream: "9.2", since: "1:9.2p1-2+deb12u4",
	change: releaseChange{
		add: map[string]string{kexKey: "sntrup761x25519-sha512"},
		defaults: map[string]string{kexKey: "sntrup761x25519-sha512 sntrup761x25519-sha512@openssh.com " +
			"curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384 " +
			"ecdh-sha2-nistp521 diffie-hellman-group-exchange-sha256 diffie-hellman-group16-sha512 " +
			"diffie-hellman-group18-sha512 diffie-hellman-group14-sha256"},
	},
}}

// releases is history applied in order: one entry per release, oldest
// first.
var releases = func() []*release {
	var out []*release
	prev := &release{known: map[string][]string{}, defaults: map[string][]string{}}
	for _, c := range history {
		r := prev.apply(c)
		r.Version = c.version
		out = append(out, r)
		prev = r
	}
	return out
}()

// apply returns a copy of r with a change's additions, removals and new
// defaults.
func (r *release) apply(c releaseChange) *release {
	next := &release{Version: r.Version, Build: r.Build, known: map[string][]string{}, defaults: map[string][]string{}}
	for _, key := range algoKeys {
		known := slices.DeleteFunc(slices.Clone(r.known[key]), func(a string) bool {
			return slices.Contains(strings.Fields(c.remove[key]), a)
		})
		next.known[key] = append(known, strings.Fields(c.add[key])...)
		next.defaults[key] = r.defaults[key]
		if d, ok := c.defaults[key]; ok {
			next.defaults[key] = strings.Fields(d)
		}
	}
	return next
}

// releaseByVersion finds an upstream release in the tables.
func releaseByVersion(v string) (*release, bool) {
	for _, r := range releases {
		if r.Version == v {
			return r, true
		}
	}
	return nil, false
}

// span names the releases of the tables, for messages: "9.2 to 10.6".
func span() string {
	return fmt.Sprintf("%s to %s", releases[0].Version, releases[len(releases)-1].Version)
}
