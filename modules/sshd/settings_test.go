package sshd

import "testing"

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
		{"ciphers", "-aes*-ctr", "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com"},
		{"macs", "+hmac-md5", defaultMACs + ",hmac-md5"},
		{"macs", "^hmac-sha1", "hmac-sha1,umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com," +
			"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512"},
		{"kexalgorithms", "curve25519-sha256", "curve25519-sha256"},
		{"usepam", "Yes", "Yes"}, // not managed: left as written
	}
	for _, tt := range tests {
		if got := normalize(tt.key, tt.in); got != tt.want {
			t.Errorf("normalize(%s, %q) = %q, want %q", tt.key, tt.in, got, tt.want)
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
