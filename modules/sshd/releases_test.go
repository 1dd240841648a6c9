package sshd

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	debversion "github.com/knqyf263/go-deb-version"
)

// binaryLists is what a real OpenSSH binary printed: testdata/openssh/*.txt
// holds `ssh -Q` and `sshd -T -f /dev/null` of Debian's packages.
type binaryLists struct {
	pkg             string
	known, defaults map[string][]string
}

func readBinaryLists(t *testing.T, path string) binaryLists {
	t.Helper()
	b := binaryLists{known: map[string][]string{}, defaults: map[string][]string{}}
	for _, line := range strings.Split(readTestdata(t, path), "\n") {
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "package":
			b.pkg = rest
		case "ssh-Q":
			query, names, _ := strings.Cut(rest, " ")
			for _, q := range algoQueries {
				if q.query == query {
					b.known[q.key] = strings.Fields(names)
				}
			}
		case "sshd-T":
			keyword, list, _ := strings.Cut(rest, " ")
			b.defaults[strings.ToLower(keyword)] = strings.Split(list, ",")
		}
	}
	return b
}

// The tables of 9.2, 10.0, 10.3 and 10.6 are exactly what Debian's real
// binaries list and use by default.
func TestTablesMatchRealBinaries(t *testing.T) {
	paths, _ := filepath.Glob("testdata/openssh/*.txt")
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, "_sshd_T.txt") })
	if len(paths) < 4 {
		t.Fatalf("want the four captured binaries, found %v", paths)
	}
	for _, p := range paths {
		b := readBinaryLists(t, strings.TrimPrefix(p, "testdata/"))
		r := releaseOf(t, b.pkg)
		for _, key := range algoKeys {
			if got, want := sorted(r.known[key]), sorted(b.known[key]); !reflect.DeepEqual(got, want) {
				t.Errorf("%s (%s): %s names\n got %q\nwant %q", b.pkg, r, key, got, want)
			}
			if got, want := r.defaults[key], b.defaults[key]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s (%s): %s default\n got %q\nwant %q", b.pkg, r, key, got, want)
			}
		}
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// everyRelease is each release of the tables and each distribution build.
func everyRelease() []*release {
	out := slices.Clone(releases)
	for _, b := range distroBuilds {
		r, _ := releaseForPackage(b.since)
		out = append(out, r)
	}
	return out
}

// For every known release the hardened sets keep the strongest algorithms
// the distribution offers by default (ML-KEM first where it exists, the
// NTRU Prime hybrid where it exists), only take what the release offers by
// default, and leave out every weak family.
func TestHardenedSetsKeepTheStrongestDefaults(t *testing.T) {
	strongest := map[string][]string{
		kexKey:      {"mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"},
		ciphersKey:  {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"},
		macsKey:     {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"},
		hostKeysKey: {"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512"},
	}
	weak := []string{"nistp", "ecdsa", "sha1", "md5", "umac", "cbc", "group14", "group1-", "ssh-dss"}
	for _, r := range everyRelease() {
		t.Run(r.String(), func(t *testing.T) {
			for _, key := range algoKeys {
				set := r.hardened(key)
				if len(set) == 0 {
					t.Fatalf("%s: no hardened set", key)
				}
				for _, a := range strongest[key] {
					if slices.Contains(r.defaults[key], a) && !slices.Contains(set, a) {
						t.Errorf("%s drops the default %s: %q", key, a, set)
					}
				}
				for _, a := range set {
					if !slices.Contains(r.defaults[key], a) || !r.knows(key, a) {
						t.Errorf("%s offers %s, which the release does not offer by default", key, a)
					}
					if a == "ssh-rsa" || slices.ContainsFunc(weak, func(w string) bool { return strings.Contains(a, w) }) {
						t.Errorf("%s offers the weak %s", key, a)
					}
				}
			}
			kex := r.hardened(kexKey)
			if r.knows(kexKey, "mlkem768x25519-sha256") && kex[0] != "mlkem768x25519-sha256" {
				t.Errorf("kex starts with %s, want ML-KEM first: %q", kex[0], kex)
			}
			if !strings.Contains(kex[0], "x25519") {
				t.Errorf("kex starts with %s, want a post-quantum hybrid first", kex[0])
			}
		})
	}
}

// The sets of the two Debian releases, spelled out.
func TestHardenedKexOfDebian12And13(t *testing.T) {
	for pkg, want := range map[string]string{
		"1:9.2p1-2+deb12u10": "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256," +
			"curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512," +
			"diffie-hellman-group-exchange-sha256",
		"1:9.2p1-2+deb12u3": "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org," +
			"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256",
		"1:10.0p1-7+deb13u4": "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com," +
			"curve25519-sha256,curve25519-sha256@libssh.org",
	} {
		if got := strings.Join(releaseOf(t, pkg).hardened(kexKey), ","); got != want {
			t.Errorf("%s: KexAlgorithms\n got %s\nwant %s", pkg, got, want)
		}
	}
}

func TestReleaseForPackage(t *testing.T) {
	tests := []struct {
		pkg, release string
		exact        bool
	}{
		{"1:9.2p1-2+deb12u10", "OpenSSH 9.2 (Debian 12's build since 1:9.2p1-2+deb12u4)", true},
		{"1:9.2p1-2+deb12u4", "OpenSSH 9.2 (Debian 12's build since 1:9.2p1-2+deb12u4)", true},
		{"1:9.2p1-2+deb12u3", "OpenSSH 9.2", true},
		{"1:9.2p1-2", "OpenSSH 9.2", true},
		{"1:10.0p1-7+deb13u4", "OpenSSH 10.0", true},
		{"1:10.0p1-7~bpo12+1", "OpenSSH 10.0", true}, // bookworm-backports
		{"1:10.3p1-1~bpo13+1", "OpenSSH 10.3", true}, // trixie-backports
		{"1:9.6p1-3ubuntu13.5", "OpenSSH 9.6", true}, // Ubuntu 24.04
		{"1:10.7p1-1", "OpenSSH 10.6", false},
		{"1:8.4p1-5+deb11u3", "OpenSSH 9.2", false},
		{"not a version", "OpenSSH 9.2", false},
	}
	for _, tt := range tests {
		r, exact := releaseForPackage(tt.pkg)
		if r.String() != tt.release || exact != tt.exact {
			t.Errorf("%s: %s, exact %v; want %s, exact %v", tt.pkg, r, exact, tt.release, tt.exact)
		}
	}
}

func TestAvailability(t *testing.T) {
	for _, tt := range []struct{ key, name, want string }{
		{kexKey, "mlkem768x25519-sha256", "OpenSSH 9.9 and later"},
		{kexKey, "sntrup761x25519-sha512", "OpenSSH 9.9 and later, Debian 12's build of 9.2 since 1:9.2p1-2+deb12u4"},
		{kexKey, "mlkem768nistp256-sha256", "OpenSSH 10.5 and later"},
		{hostKeysKey, "ssh-dss", "OpenSSH 9.2 to 9.7"},
		{hostKeysKey, "ssh-mldsa44-ed25519@openssh.com", "OpenSSH 10.4 to 10.5"},
		{hostKeysKey, "webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "OpenSSH 10.3 and later"},
	} {
		if got := availability(tt.key, tt.name); got != tt.want {
			t.Errorf("availability(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// history is one entry per release, oldest first, none skipped between
// 9.2 and the newest (10.x follows 9.9).
func TestHistoryIsOrdered(t *testing.T) {
	for i := 1; i < len(history); i++ {
		prev, _ := debversion.NewVersion(history[i-1].version)
		cur, err := debversion.NewVersion(history[i].version)
		if err != nil || !cur.GreaterThan(prev) {
			t.Errorf("%s does not follow %s", history[i].version, history[i-1].version)
		}
	}
	if got := span(); got != "9.2 to 10.6" {
		t.Errorf("span() = %q", got)
	}
}
