package sshd

import (
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"harden/modules/module/moduletest"
)

func TestDecodeDefaults(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, "sshd {}\n")
	if got := m.want["passwordauthentication"]; !reflect.DeepEqual(got, []string{"no"}) {
		t.Errorf("PasswordAuthentication = %v, want [no]", got)
	}
	if v, ok := m.want["allowusers"]; !ok || v != nil {
		t.Errorf("AllowUsers = %q, want managed with the administrators the plan finds (nil)", v)
	}
	if got := m.Ports(); !reflect.DeepEqual(got, []int{22}) {
		t.Errorf("Ports() = %v, want [22]", got)
	}
	if !m.DisablesPasswordLogin() || !m.DisablesRootLogin() {
		t.Error("defaults must turn password and root logins off")
	}
	for _, key := range algoKeys {
		if v, ok := m.want[key]; !ok || v != nil {
			t.Errorf("%s = %q, want managed with the installed release's hardened set (nil)", key, v)
		}
	}
}

// Offline validation knows every release's names: a profile written for
// Debian 13 validates on any machine; the plan judges the installed one.
func TestDecodeAcceptsEveryReleasesNames(t *testing.T) {
	src := `sshd {
  kex_algorithms      = ["mlkem768x25519-sha256", "sntrup761x25519-sha512", "curve25519-sha256"]
  host_key_algorithms = ["ssh-ed25519", "ssh-dss", "ssh-mldsa44-ed25519", "ssh-mldsa44-ed25519@openssh.com"]
}
`
	m := New()
	moduletest.MustDecode(t, m, src)
	if got := m.want["kexalgorithms"]; !reflect.DeepEqual(got, []string{"mlkem768x25519-sha256,sntrup761x25519-sha512,curve25519-sha256"}) {
		t.Errorf("kexalgorithms = %q", got)
	}
}

func TestDecodeOverrides(t *testing.T) {
	src := `sshd {
  port                    = var.ssh_port
  permit_root_login       = "prohibit-password"
  password_authentication = true
  allow_tcp_forwarding    = "local"
  log_level               = "info"
  x11_forwarding          = null
  allow_users             = ["iri", "admin"]
  allow_groups            = []
  ciphers                 = ["chacha20-poly1305@openssh.com"]
}
`
	m := New()
	if d := moduletest.Decode(t, m, src, map[string]cty.Value{"ssh_port": cty.NumberIntVal(2200)}); d.HasErrors() {
		t.Fatal(d.Error())
	}
	for key, want := range map[string][]string{
		"port": {"2200"}, "permitrootlogin": {"prohibit-password"}, "passwordauthentication": {"yes"},
		"allowtcpforwarding": {"local"}, "loglevel": {"INFO"}, "allowusers": {"iri", "admin"},
		"allowgroups": {}, "ciphers": {"chacha20-poly1305@openssh.com"},
	} {
		if got := m.want[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}
	if _, ok := m.want["x11forwarding"]; ok {
		t.Error("x11_forwarding = null must leave X11Forwarding unmanaged")
	}
	if !m.DisablesPasswordLogin() {
		t.Error("authentication_methods = publickey (default) still rules out passwords")
	}
	if m.DisablesRootLogin() {
		t.Error("prohibit-password does not disable root login entirely")
	}
	if got := m.AllowGroups(); got == nil || len(got) != 0 {
		t.Errorf("AllowGroups() = %#v, want empty non-nil (managed: no restriction)", got)
	}
}

func TestDisablesPasswordLogin(t *testing.T) {
	for src, want := range map[string]bool{
		"sshd {\n  password_authentication = true\n  authentication_methods = \"any\"\n}\n":                false,
		"sshd {\n  password_authentication = null\n  authentication_methods = null\n}\n":                   false,
		"sshd {\n  password_authentication = true\n  authentication_methods = \"publickey,password\"\n}\n": false,
		"sshd {\n  password_authentication = null\n}\n":                                                    true,
	} {
		m := New()
		moduletest.MustDecode(t, m, src)
		if got := m.DisablesPasswordLogin(); got != want {
			t.Errorf("%q: DisablesPasswordLogin() = %v, want %v", src, got, want)
		}
	}
}

func TestDecodePortList(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, "sshd {\n  port = [22, 2200]\n}\n")
	if got := m.Ports(); !reflect.DeepEqual(got, []int{22, 2200}) {
		t.Errorf("Ports() = %v", got)
	}
}

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		summary   string
		detail    string
	}{
		{"port out of range", "sshd {\n  port = 70000\n}\n", 2, 10, "Invalid value for port",
			"port: 70000 is out of range; expected a whole number from 1 to 65535."},
		{"port zero in list", "sshd {\n  port = [22, 0]\n}\n", 2, 15, "Invalid value for port",
			"port: 0 is out of range; expected a whole number from 1 to 65535."},
		{"port twice", "sshd {\n  port = [2200, 2200]\n}\n", 2, 17, "Invalid value for port",
			"port: 2200 is listed twice."},
		{"port fraction", "sshd {\n  port = 22.5\n}\n", 2, 10, "Invalid value for port",
			"port: 22.5 is out of range; expected a whole number from 1 to 65535."},
		{"unknown cipher", "sshd {\n  ciphers = [\"aes256-gcm@openssh.com\", \"aes256-gcm@opensh.com\"]\n}\n", 2, 40,
			"Invalid value for ciphers",
			`ciphers: "aes256-gcm@opensh.com" is not valid; expected a cipher of OpenSSH 9.2 to 10.6 (ssh -Q cipher); no known release has it. Did you mean "aes256-gcm@openssh.com"?`},
		{"unknown mac", "sshd {\n  macs = [\"hmac-sha3-256\"]\n}\n", 2, 11, "Invalid value for macs",
			`macs: "hmac-sha3-256" is not valid; expected a MAC of OpenSSH 9.2 to 10.6 (ssh -Q mac); no known release has it. Did you mean "hmac-sha2-256"?`},
		{"kex name as a cipher", "sshd {\n  ciphers = [\"mlkem768x25519-sha256\"]\n}\n", 2, 14, "Invalid value for ciphers",
			`ciphers: "mlkem768x25519-sha256" is a key exchange algorithm (OpenSSH 9.9 and later), not a cipher; expected a cipher of OpenSSH 9.2 to 10.6 (ssh -Q cipher).`},
		{"host key name as a kex", "sshd {\n  kex_algorithms = [\"ssh-dss\"]\n}\n", 2, 21, "Invalid value for kex_algorithms",
			`kex_algorithms: "ssh-dss" is a host key algorithm (OpenSSH 9.2 to 9.7), not a key exchange algorithm; expected a key exchange algorithm of OpenSSH 9.2 to 10.6 (ssh -Q kex).`},
		{"permit root login", "sshd {\n  permit_root_login = \"prohibit-pasword\"\n}\n", 2, 23,
			"Invalid value for permit_root_login",
			`permit_root_login: "prohibit-pasword" is not valid; expected one of yes, no, prohibit-password, without-password, forced-commands-only. Did you mean "prohibit-password"?`},
		{"log level", "sshd {\n  log_level = \"VERBOSSE\"\n}\n", 2, 15, "Invalid value for log_level",
			`log_level: "VERBOSSE" is not valid; expected one of QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1, DEBUG2, DEBUG3. Did you mean "VERBOSE"?`},
		{"flag as string", "sshd {\n  password_authentication = \"no\"\n}\n", 2, 29,
			"Invalid value for password_authentication", "password_authentication: expected true or false, got string."},
		{"max startups", "sshd {\n  max_startups = \"10:30\"\n}\n", 2, 18, "Invalid value for max_startups",
			`max_startups: "10:30" is not valid; expected start:rate:full such as "10:30:60", or a number.`},
		{"auth method", "sshd {\n  authentication_methods = \"publickey,pasword\"\n}\n", 2, 28,
			"Invalid value for authentication_methods",
			`authentication_methods: "pasword" is not valid; expected "any" or comma-separated lists of publickey, password, keyboard-interactive, hostbased, gssapi-with-mic. Did you mean "password"?`},
		{"empty algorithm list", "sshd {\n  kex_algorithms = []\n}\n", 2, 20, "Invalid value for kex_algorithms",
			"kex_algorithms: the list is empty; set it to null to leave KexAlgorithms unmanaged."},
		{"auth methods over two lines", "sshd {\n  authentication_methods = \"publickey\\npassword\"\n}\n", 2, 28,
			"Invalid value for authentication_methods",
			`authentication_methods: "publickey\npassword" holds a newline (U+000A) at byte 10; the value must stay on its own config line, such as "publickey".`},
		{"user with space", "sshd {\n  allow_users = [\"a b\"]\n}\n", 2, 18, "Invalid value for allow_users",
			`allow_users: "a b" is not a single name (no spaces, commas or quotes).`},
		{"user injecting a Match block", "sshd {\n  allow_users = [\"deploy\", \"x\\nMatch all\\nPermitRootLogin yes\"]\n}\n", 2, 28,
			"Invalid value for allow_users",
			`allow_users: "x\nMatch all\nPermitRootLogin yes" holds a newline (U+000A) at byte 2; each name must stay on its own config line. Expected a user name pattern such as "deploy", "deploy@203.0.113.0/24" or "ops-*".`},
		{"user injecting a keyword without spaces", "sshd {\n  allow_users = [\"x\\nPermitRootLogin=yes\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "x\nPermitRootLogin=yes" holds a newline (U+000A) at byte 2; each name must stay on its own config line. Expected a user name pattern such as "deploy", "deploy@203.0.113.0/24" or "ops-*".`},
		{"user with NUL", "sshd {\n  allow_users = [\"root\\u0000x\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "root\x00x" holds a NUL (U+0000) at byte 5; each name must stay on its own config line. Expected a user name pattern such as "deploy", "deploy@203.0.113.0/24" or "ops-*".`},
		{"user with comment", "sshd {\n  allow_users = [\"a#b\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "a#b" holds '#' at byte 2, which starts a comment; each name must stay on its own config line. Expected a user name pattern such as "deploy", "deploy@203.0.113.0/24" or "ops-*".`},
		{"user with a bad character", "sshd {\n  allow_users = [\"-oops\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "-oops" is not a user name pattern; expected USER or USER@HOST, USER of letters, digits, '.', '_', '-' (not first) and the wildcards '*' and '?', optionally with a leading '!', such as "deploy", "deploy@203.0.113.0/24" or "ops-*".`},
		{"user at a bad prefix", "sshd {\n  allow_users = [\"deploy@10.0.0.0/33\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "deploy@10.0.0.0/33" is not a user name pattern; expected USER or USER@HOST, HOST an address, a network such as 203.0.113.0/24 (no host bits set), or a host name pattern such as "*.example.org".`},
		{"user at a prefix with host bits", "sshd {\n  allow_users = [\"deploy@10.0.0.1/8\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "deploy@10.0.0.1/8" is not a user name pattern; expected USER or USER@HOST, HOST an address, a network such as 203.0.113.0/24 (no host bits set), or a host name pattern such as "*.example.org".`},
		{"user at a zoned address", "sshd {\n  allow_users = [\"deploy@fe80::1%eth0\"]\n}\n", 2, 18,
			"Invalid value for allow_users",
			`allow_users: "deploy@fe80::1%eth0" is not a user name pattern; expected USER or USER@HOST, HOST an address, a network such as 203.0.113.0/24 (no host bits set), or a host name pattern such as "*.example.org".`},
		{"group with a bad character", "sshd {\n  allow_groups = [\"ops@host\"]\n}\n", 2, 19,
			"Invalid value for allow_groups",
			`allow_groups: "ops@host" is not a group name pattern; expected letters, digits, '.', '_', '-' (not first) and the wildcards '*' and '?', optionally with a leading '!', such as "sshusers" or "ops-*".`},
		{"unknown attribute", "sshd {\n  pasword_authentication = false\n}\n", 2, 3, "Unsupported argument",
			`An argument named "pasword_authentication" is not expected here. Did you mean "password_authentication"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := moduletest.WantOneDiag(t, moduletest.Decode(t, New(), tt.src, nil), tt.detail, tt.line, tt.col)
			if d.Summary != tt.summary {
				t.Errorf("summary %q, want %q", d.Summary, tt.summary)
			}
		})
	}
}

// namePatternProfile holds user[@host] and group patterns sshd matches;
// the root tier checks that sshd reads them back as written.
const namePatternProfile = `sshd {
  allow_users  = ["deploy", "deploy@203.0.113.0/24", "ops-*", "!root", "a?c@*.example.org", "v6@2001:db8::/64", "host$", "x@198.51.100.7"]
  allow_groups = ["sshusers", "ops-*", "!wheel"]
}
`

// TestDecodeNamePatterns: the patterns are accepted as written.
func TestDecodeNamePatterns(t *testing.T) {
	m := New()
	if d := moduletest.Decode(t, m, namePatternProfile, nil); d.HasErrors() {
		t.Fatal(d.Error())
	}
	if got := m.want["allowusers"]; len(got) != 8 {
		t.Errorf("allowusers = %q", got)
	}
	if got := m.want["allowgroups"]; len(got) != 3 {
		t.Errorf("allowgroups = %q", got)
	}
}
