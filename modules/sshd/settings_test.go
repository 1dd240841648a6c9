package sshd

import (
	"testing"

	"harden/modules/internal/dpkg"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ key, in, want string }{
		{"permitrootlogin", "prohibit-password", "without-password"},
		{"permitrootlogin", "No", "no"},
		{"passwordauthentication", "YES", "yes"},
		{"logingracetime", "2m", "120"},
		{"logingracetime", "1h30s", "3630"},
		{"clientaliveinterval", "300", "300"},
		{"maxstartups", "10", "10:30:10"},
		{"maxstartups", "10:30:60", "10:30:60"},
		{"loglevel", "verbose", "VERBOSE"},
		{"loglevel", "DEBUG", "DEBUG1"},
		{"allowtcpforwarding", "all", "yes"},
		{"port", "022", "22"},
		{"kexalgorithms", "curve25519-sha256", "curve25519-sha256"},
		{"macs", "+hmac-md5", "+hmac-md5"}, // operators need the release: effectiveValues resolves them
		{"usedns", "Yes", "Yes"},           // not managed: left as written
	}
	for _, tt := range tests {
		if got := normalize(tt.key, tt.in); got != tt.want {
			t.Errorf("normalize(%s, %q) = %q, want %q", tt.key, tt.in, got, tt.want)
		}
	}
}

// sshd's +, - and ^ change the compiled-in default of the release that is
// installed: "^curve25519-sha256" puts it ahead of OpenSSH 10.0's ML-KEM
// and of Debian 12's NTRU Prime.
func TestEffectiveAlgorithmOperatorsPerRelease(t *testing.T) {
	files := map[string]string{configPath: "Ciphers -aes*-ctr\nMACs +hmac-md5\nKexAlgorithms ^curve25519-sha256\n"}
	tests := []struct {
		status string
		want   map[string]string
	}{
		{"dpkg/debian12.status", map[string]string{
			"ciphers": "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
			"macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com," +
				"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com," +
				"hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-md5",
			"kexalgorithms": "curve25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com," +
				"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521," +
				"diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512," +
				"diffie-hellman-group14-sha256",
		}},
		{"dpkg/debian13.status", map[string]string{
			"ciphers": "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
			"kexalgorithms": "curve25519-sha256,mlkem768x25519-sha256,sntrup761x25519-sha512," +
				"sntrup761x25519-sha512@openssh.com,curve25519-sha256@libssh.org,ecdh-sha2-nistp256," +
				"ecdh-sha2-nistp384,ecdh-sha2-nistp521",
		}},
	}
	for _, tt := range tests {
		files[dpkg.StatusPath] = readTestdata(t, tt.status)
		h, _ := newRoot(t, files)
		st := readState(t, New(), h)
		for key, want := range tt.want {
			if got := st.Effective[key]; len(got.Values) != 1 || got.Values[0] != want {
				t.Errorf("%s: %s = %q\nwant %q", tt.status, key, got.Values, want)
			}
		}
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct{ in, key, value string }{
		{"  Port 22", "port", "22"},
		{"Port=2200", "port", "2200"},
		{"PasswordAuthentication = no # cloud", "passwordauthentication", "no"},
		{"Include \"/etc/ssh/my dir/*.conf\"", "include", "\"/etc/ssh/my dir/*.conf\""},
		{"#Port 22", "", ""},
		{"\t", "", ""},
	}
	for _, tt := range tests {
		l := parseLine(1, tt.in)
		if l.keyword != tt.key || l.value != tt.value {
			t.Errorf("parseLine(%q) = %q %q, want %q %q", tt.in, l.keyword, l.value, tt.key, tt.value)
		}
	}
	if got := args(`"/etc/ssh/my dir/*.conf" b`); len(got) != 2 || got[0] != "/etc/ssh/my dir/*.conf" {
		t.Errorf("args = %q", got)
	}
}

func TestListenPort(t *testing.T) {
	for in, want := range map[string]int{"22": 22, "0.0.0.0:2200": 2200, "[::]:22": 22} {
		if got, ok := listenPort(in); !ok || got != want {
			t.Errorf("listenPort(%q) = %d, %v", in, got, ok)
		}
	}
	if _, ok := listenPort("/run/ssh.sock"); ok {
		t.Error("a unix socket path has no port")
	}
}

func TestEffectiveFirstWinsAcrossIncludes(t *testing.T) {
	h, _ := newRoot(t, map[string]string{
		configPath:                           "Include sshd_config.d/*.conf\nPasswordAuthentication no\nPort 22\n",
		"/etc/ssh/sshd_config.d/20-b.conf":   "PasswordAuthentication maybe-not-reached\nPort 2200\n",
		"/etc/ssh/sshd_config.d/10-a.conf":   "passwordauthentication=yes\n",
		"/etc/ssh/sshd_config.d/30-c.conf":   "Match User x\nPort 9\n",
		"/etc/ssh/sshd_config.d/ignored.txt": "PasswordAuthentication no\n",
	})
	st := readState(t, New(), h)
	if e := st.Effective["passwordauthentication"]; e.Values[0] != "yes" || e.Source != "/etc/ssh/sshd_config.d/10-a.conf:1" {
		t.Errorf("PasswordAuthentication = %+v, want yes from 10-a.conf:1 (lexical order, first wins)", e)
	}
	if e := st.Effective["port"]; !sameValues("port", e.Values, []string{"2200", "22"}) {
		t.Errorf("Port = %+v, want 2200 and 22 (ports accumulate; Match lines do not count)", e)
	}
}
