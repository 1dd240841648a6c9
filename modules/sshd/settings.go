package sshd

import (
	"strconv"
	"strings"

	"harden/modules/lockout"
)

// kind is how a setting is written in the profile and in sshd_config.
type kind int

const (
	kindFlag    kind = iota // HCL bool → yes/no
	kindNumber              // HCL whole number
	kindSeconds             // HCL whole number of seconds (sshd also reads 2m, 1h30m)
	kindEnum                // HCL string from a fixed set; bools allowed where boolAlias
	kindText                // HCL string checked by a pattern
	kindNames               // HCL list of strings, one line, values accumulate (AllowUsers)
	kindAlgos               // HCL list of strings, comma-joined (Ciphers)
	kindPorts               // HCL number or list of numbers, a Port line each
	kindFiles               // HCL list of absolute paths, a line each, values accumulate (HostKey)
)

// setting is one sshd keyword harden manages.
type setting struct {
	attr    string // snake_case profile attribute
	keyword string // sshd_config spelling
	kind    kind
	// def is the hardened default in sshd_config form; nil leaves the
	// keyword unmanaged unless the profile sets it (algorithm lists are
	// managed anyway: their default depends on the installed OpenSSH).
	def []string
	// valid lists accepted values (enums, algorithms).
	valid []string
	// boolAlias lets an enum take true/false for yes/no.
	boolAlias bool
	min, max  int
	// auto: managed by default with a value the plan finds (AllowUsers:
	// the administrators; admitted.go).
	auto bool
	// builtin is sshd's own default in `sshd -T` form (what applies when no
	// file sets the keyword); used when planning from files. The algorithm
	// lists' come from the installed release.
	builtin []string
}

// settings in the order they are written into the managed block. The
// defaults pass CIS Debian Linux 12 §5.1, dev-sec's ssh-baseline and
// ssh-audit's hardening guide for a key-only server; README says where the
// three disagree and which one harden follows. dev-sec reads sshd_config
// itself, not `sshd -T`, so settings whose hardened value is also sshd's
// default are written out too.
var settings = []setting{
	{attr: "port", keyword: "Port", kind: kindPorts, def: []string{"22"}, min: 1, max: 65535, builtin: []string{"22"}},
	{attr: "address_family", keyword: "AddressFamily", kind: kindEnum, def: []string{"any"},
		valid: []string{"any", "inet", "inet6"}, builtin: []string{"any"}},
	{attr: "host_keys", keyword: "HostKey", kind: kindFiles, def: []string{ed25519HostKey, rsaHostKey},
		builtin: []string{rsaHostKey, ecdsaHostKey, ed25519HostKey}},
	{attr: "permit_root_login", keyword: "PermitRootLogin", kind: kindEnum, boolAlias: true, def: []string{"no"},
		valid:   []string{"yes", "no", "prohibit-password", "without-password", "forced-commands-only"},
		builtin: []string{"without-password"}},
	{attr: "password_authentication", keyword: "PasswordAuthentication", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "permit_empty_passwords", keyword: "PermitEmptyPasswords", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "kbd_interactive_authentication", keyword: "KbdInteractiveAuthentication", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "pubkey_authentication", keyword: "PubkeyAuthentication", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "authentication_methods", keyword: "AuthenticationMethods", kind: kindText, def: []string{"publickey"}, builtin: []string{"any"}},
	{attr: "hostbased_authentication", keyword: "HostbasedAuthentication", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "ignore_rhosts", keyword: "IgnoreRhosts", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "ignore_user_known_hosts", keyword: "IgnoreUserKnownHosts", kind: kindFlag, def: []string{"yes"}, builtin: []string{"no"}},
	{attr: "gssapi_authentication", keyword: "GSSAPIAuthentication", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "gssapi_cleanup_credentials", keyword: "GSSAPICleanupCredentials", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "kerberos_authentication", keyword: "KerberosAuthentication", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "kerberos_or_local_passwd", keyword: "KerberosOrLocalPasswd", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "kerberos_ticket_cleanup", keyword: "KerberosTicketCleanup", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "use_pam", keyword: "UsePAM", kind: kindFlag, def: []string{"yes"}, builtin: []string{"no"}},
	{attr: "strict_modes", keyword: "StrictModes", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "max_auth_tries", keyword: "MaxAuthTries", kind: kindNumber, def: []string{"2"}, min: 1, max: 100, builtin: []string{"6"}},
	{attr: "max_sessions", keyword: "MaxSessions", kind: kindNumber, def: []string{"10"}, min: 0, max: 1000, builtin: []string{"10"}},
	{attr: "login_grace_time", keyword: "LoginGraceTime", kind: kindSeconds, def: []string{"30"}, min: 0, max: 86400, builtin: []string{"120"}},
	{attr: "max_startups", keyword: "MaxStartups", kind: kindText, def: []string{"10:30:60"}, builtin: []string{"10:30:100"}},
	{attr: "required_rsa_size", keyword: "RequiredRSASize", kind: kindNumber, def: []string{"3072"}, min: 1024, max: 16384,
		builtin: []string{"1024"}},
	{attr: "client_alive_interval", keyword: "ClientAliveInterval", kind: kindSeconds, def: []string{"300"}, min: 0, max: 86400, builtin: []string{"0"}},
	{attr: "client_alive_count_max", keyword: "ClientAliveCountMax", kind: kindNumber, def: []string{"3"}, min: 0, max: 100, builtin: []string{"3"}},
	{attr: "tcp_keep_alive", keyword: "TCPKeepAlive", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "disable_forwarding", keyword: "DisableForwarding", kind: kindFlag, def: []string{"yes"}, builtin: []string{"no"}},
	{attr: "x11_forwarding", keyword: "X11Forwarding", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "x11_use_localhost", keyword: "X11UseLocalhost", kind: kindFlag, def: []string{"yes"}, builtin: []string{"yes"}},
	{attr: "allow_agent_forwarding", keyword: "AllowAgentForwarding", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "allow_tcp_forwarding", keyword: "AllowTcpForwarding", kind: kindEnum, boolAlias: true, def: []string{"no"},
		valid: []string{"yes", "no", "all", "local", "remote"}, builtin: []string{"yes"}},
	{attr: "gateway_ports", keyword: "GatewayPorts", kind: kindEnum, boolAlias: true, def: []string{"no"},
		valid: []string{"yes", "no", "clientspecified"}, builtin: []string{"no"}},
	{attr: "permit_tunnel", keyword: "PermitTunnel", kind: kindEnum, boolAlias: true, def: []string{"no"},
		valid: []string{"yes", "no", "point-to-point", "ethernet"}, builtin: []string{"no"}},
	{attr: "permit_user_environment", keyword: "PermitUserEnvironment", kind: kindFlag, def: []string{"no"}, builtin: []string{"no"}},
	{attr: "print_motd", keyword: "PrintMotd", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "print_last_log", keyword: "PrintLastLog", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	// Debian's and Ubuntu's own keyword: leave the distribution and its
	// patch level out of the version string every client (and scanner)
	// sees. `sshd -T` does not print it: the files decide.
	{attr: "debian_banner", keyword: "DebianBanner", kind: kindFlag, def: []string{"no"}, builtin: []string{"yes"}},
	{attr: "banner", keyword: "Banner", kind: kindText, def: []string{defaultBanner}, builtin: []string{"none"}},
	{attr: "syslog_facility", keyword: "SyslogFacility", kind: kindEnum, def: []string{"AUTH"},
		valid: []string{"DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4",
			"LOCAL5", "LOCAL6", "LOCAL7"}, builtin: []string{"AUTH"}},
	{attr: "log_level", keyword: "LogLevel", kind: kindEnum, def: []string{"VERBOSE"},
		valid:   []string{"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"},
		builtin: []string{"INFO"}},
	{attr: "allow_users", keyword: "AllowUsers", kind: kindNames, auto: true},
	{attr: "allow_groups", keyword: "AllowGroups", kind: kindNames},
	// The algorithm lists default to the hardened set of the installed
	// OpenSSH (algorithms.go), chosen when the plan knows the release.
	{attr: "kex_algorithms", keyword: "KexAlgorithms", kind: kindAlgos},
	{attr: "ciphers", keyword: "Ciphers", kind: kindAlgos},
	{attr: "macs", keyword: "MACs", kind: kindAlgos},
	{attr: "host_key_algorithms", keyword: "HostKeyAlgorithms", kind: kindAlgos},
}

// The host keys sshd loads when no HostKey line names any, and harden's
// choice among them: Ed25519 and RSA, as ssh-audit's guides say (no ECDSA,
// whose NIST curves they fail).
const (
	rsaHostKey     = "/etc/ssh/ssh_host_rsa_key"
	ecdsaHostKey   = "/etc/ssh/ssh_host_ecdsa_key"
	ed25519HostKey = "/etc/ssh/ssh_host_ed25519_key"
)

// settingByKey finds a managed setting by its lower-case keyword.
var settingByKey = func() map[string]*setting {
	m := map[string]*setting{}
	for i := range settings {
		m[strings.ToLower(settings[i].keyword)] = &settings[i]
	}
	return m
}()

// printedByT reports whether `sshd -T` prints a keyword: Debian's
// DebianBanner is read from the files alone.
func printedByT(lowerKeyword string) bool { return lowerKeyword != "debianbanner" }

// accumulates reports whether sshd collects every occurrence of a keyword
// instead of keeping the first one: a drop-in's `Port 2222` adds a port no
// matter what sshd_config says, so such lines must go, not be outvoted.
func accumulates(lowerKeyword string) bool {
	switch lowerKeyword {
	case "port", "listenaddress", "allowusers", "allowgroups", "denyusers", "denygroups", "hostkey":
		return true
	}
	return false
}

// normalize turns one sshd_config value into the form `sshd -T` prints, so
// desired, file and live values compare equal when sshd would treat them so.
func normalize(lowerKeyword, v string) string {
	v = strings.TrimSpace(v)
	s := settingByKey[lowerKeyword]
	if s == nil {
		return v
	}
	switch s.kind {
	case kindFlag:
		return strings.ToLower(v)
	case kindNumber, kindPorts:
		if n, err := strconv.Atoi(v); err == nil {
			return strconv.Itoa(n)
		}
	case kindSeconds:
		if n, ok := parseSeconds(v); ok {
			return strconv.Itoa(n)
		}
	case kindEnum:
		switch lv := strings.ToLower(v); {
		case lowerKeyword == "syslogfacility":
			return strings.ToUpper(v)
		case lowerKeyword == "loglevel":
			if u := strings.ToUpper(v); u == "DEBUG" {
				return "DEBUG1"
			} else {
				return u
			}
		case lowerKeyword == "permitrootlogin" && lv == "prohibit-password":
			return "without-password"
		case lowerKeyword == "allowtcpforwarding" && lv == "all":
			return "yes"
		default:
			return lv
		}
	case kindText:
		if lowerKeyword == "maxstartups" && !strings.Contains(v, ":") {
			if _, err := strconv.Atoi(v); err == nil {
				return v + ":30:" + v
			}
		}
	}
	return v
}

// parseSeconds reads sshd's time format: 30, 30s, 2m, 1h30m.
func parseSeconds(v string) (int, bool) {
	total, num := 0, -1
	for _, c := range strings.ToLower(v) {
		switch {
		case c >= '0' && c <= '9':
			if num < 0 {
				num = 0
			}
			num = num*10 + int(c-'0')
		case num >= 0 && strings.ContainsRune("smhdw", c):
			total += num * map[rune]int{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}[c]
			num = -1
		default:
			return 0, false
		}
	}
	if num >= 0 {
		total += num
	}
	return total, v != ""
}

// resolveAlgos applies sshd's list operators against the compiled-in
// default: "+a,b" appends, "-a*" removes (wildcards allowed), "^a" puts in
// front. normalize leaves algorithm lists as written; this needs the
// installed release.
func resolveAlgos(v, builtin string) string {
	if v == "" {
		return builtin
	}
	def := strings.Split(builtin, ",")
	list := strings.Split(v[1:], ",")
	switch v[0] {
	case '+':
		out := def
		for _, a := range list {
			if !contains(out, a) {
				out = append(out, a)
			}
		}
		return strings.Join(out, ",")
	case '^':
		out := list
		for _, a := range def {
			if !contains(out, a) {
				out = append(out, a)
			}
		}
		return strings.Join(out, ",")
	case '-':
		var out []string
		for _, a := range def {
			if !matchesAny(a, list) {
				out = append(out, a)
			}
		}
		return strings.Join(out, ",")
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if lockout.WildcardMatch(p, name) {
			return true
		}
	}
	return false
}
