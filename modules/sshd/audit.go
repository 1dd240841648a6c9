package sshd

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"harden/modules/module"
)

// Audit judges sshd against CIS Debian 12 §5.1, dev-sec's ssh-baseline and
// ssh-audit, from what Read found: `sshd -T` on the live machine (the files
// alone under -root), the files' modes, the host keys and moduli. Where the
// references set different bars a control takes the stricter one, as the
// defaults do (README: By the book).
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(*State)
	if !ok {
		return nil
	}
	a := sshdAudit{st: st}
	var out []module.Finding
	out = append(out, a.files()...)
	out = append(out, a.access()...)
	for _, c := range keywordControls {
		out = append(out, a.keyword(c))
	}
	out = append(out, a.crypto()...)
	out = append(out, a.hostKeys()...)
	out = append(out, a.others()...)
	return append(out, departures...)
}

// sshdAudit judges one read state.
type sshdAudit struct{ st *State }

// value is what sshd uses for a keyword (lower case): sshd -T's line, or
// the files' value when sshd -T did not run (only managed keywords are
// known then) or does not print it (DebianBanner).
func (a sshdAudit) value(key string) ([]string, bool) {
	if a.st.Dump != nil && printedByT(key) {
		v, ok := a.st.Dump[key]
		return v, ok
	}
	e, ok := a.st.Effective[key]
	return e.Values, ok
}

func (a sshdAudit) one(key string) string {
	v, _ := a.value(key)
	return strings.Join(v, " ")
}

// keywordControl is a control on one keyword: its value must satisfy ok.
type keywordControl struct {
	id, keyword, title string
	ok                 func(v string) bool
	refs               []module.Ref
}

func is(want string) func(string) bool {
	return func(v string) bool { return strings.EqualFold(v, want) }
}

// atMost accepts a whole number from 1 (0 where zero allowed) to limit.
func atMost(limit int, zeroOK bool) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n <= limit && (n > 0 || zeroOK && n == 0)
	}
}

var keywordControls = []keywordControl{
	{"client-alive-interval", "ClientAliveInterval", "ClientAliveInterval 1 to 300 seconds", func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n > 0 && n <= 300
	}, module.Refs(module.CIS, "5.1.7", module.DevSec, "sshd-36")},
	{"client-alive-count-max", "ClientAliveCountMax", "ClientAliveCountMax 1 to 3", atMost(3, false),
		module.Refs(module.CIS, "5.1.7", module.DevSec, "sshd-37")},
	{"disable-forwarding", "DisableForwarding", "DisableForwarding yes", is("yes"), module.Refs(module.CIS, "5.1.8")},
	{"tcp-forwarding", "AllowTcpForwarding", "AllowTcpForwarding no", is("no"), module.Refs(module.DevSec, "sshd-39")},
	{"agent-forwarding", "AllowAgentForwarding", "AllowAgentForwarding no", is("no"), module.Refs(module.DevSec, "sshd-40")},
	{"gateway-ports", "GatewayPorts", "GatewayPorts no", is("no"), module.Refs(module.DevSec, "sshd-41")},
	{"x11-forwarding", "X11Forwarding", "X11Forwarding no", is("no"), module.Refs(module.DevSec, "sshd-42")},
	{"x11-use-localhost", "X11UseLocalhost", "X11UseLocalhost yes", is("yes"), module.Refs(module.DevSec, "sshd-43")},
	{"permit-tunnel", "PermitTunnel", "PermitTunnel no", is("no"), module.Refs(module.DevSec, "sshd-38")},
	{"gssapi", "GSSAPIAuthentication", "GSSAPIAuthentication no", is("no"),
		module.Refs(module.CIS, "5.1.9", module.DevSec, "sshd-33")},
	{"gssapi-cleanup", "GSSAPICleanupCredentials", "GSSAPICleanupCredentials yes", is("yes"), module.Refs(module.DevSec, "sshd-34")},
	{"kerberos", "KerberosAuthentication", "KerberosAuthentication no", is("no"), module.Refs(module.DevSec, "sshd-30")},
	{"kerberos-or-local", "KerberosOrLocalPasswd", "KerberosOrLocalPasswd no", is("no"), module.Refs(module.DevSec, "sshd-31")},
	{"kerberos-cleanup", "KerberosTicketCleanup", "KerberosTicketCleanup yes", is("yes"), module.Refs(module.DevSec, "sshd-32")},
	{"hostbased", "HostbasedAuthentication", "HostbasedAuthentication no", is("no"),
		module.Refs(module.CIS, "5.1.10", module.DevSec, "sshd-25")},
	{"ignore-rhosts", "IgnoreRhosts", "IgnoreRhosts yes", is("yes"), module.Refs(module.CIS, "5.1.11", module.DevSec, "sshd-23")},
	{"ignore-user-known-hosts", "IgnoreUserKnownHosts", "IgnoreUserKnownHosts yes", is("yes"), module.Refs(module.DevSec, "sshd-24")},
	{"login-grace-time", "LoginGraceTime", "LoginGraceTime 1 to 30 seconds", atMost(30, false),
		module.Refs(module.CIS, "5.1.13", module.DevSec, "sshd-18")},
	{"log-level", "LogLevel", "LogLevel VERBOSE", is("VERBOSE"), module.Refs(module.CIS, "5.1.14", module.DevSec, "sshd-13")},
	{"max-auth-tries", "MaxAuthTries", "MaxAuthTries 2 or less", atMost(2, false),
		module.Refs(module.CIS, "5.1.16", module.DevSec, "sshd-19")},
	{"max-sessions", "MaxSessions", "MaxSessions 10 or less", atMost(10, false),
		module.Refs(module.CIS, "5.1.17", module.DevSec, "sshd-20")},
	{"max-startups", "MaxStartups", "MaxStartups 10:30:60 or stricter", maxStartupsOK,
		module.Refs(module.CIS, "5.1.18", module.DevSec, "sshd-21")},
	{"permit-empty-passwords", "PermitEmptyPasswords", "PermitEmptyPasswords no", is("no"),
		module.Refs(module.CIS, "5.1.19", module.DevSec, "sshd-28")},
	{"permit-root-login", "PermitRootLogin", "PermitRootLogin no", is("no"),
		module.Refs(module.CIS, "5.1.20", module.DevSec, "sshd-06")},
	{"permit-user-environment", "PermitUserEnvironment", "PermitUserEnvironment no", is("no"),
		module.Refs(module.CIS, "5.1.21", module.DevSec, "sshd-17")},
	{"use-pam", "UsePAM", "UsePAM yes", is("yes"), module.Refs(module.CIS, "5.1.22")},
	{"password-authentication", "PasswordAuthentication", "PasswordAuthentication no", is("no"), module.Refs(module.DevSec, "sshd-27")},
	{"kbd-interactive", "KbdInteractiveAuthentication", "KbdInteractiveAuthentication no", is("no"),
		module.Refs(module.DevSec, "sshd-29")},
	{"pubkey-authentication", "PubkeyAuthentication", "PubkeyAuthentication yes", is("yes"), module.Refs(module.DevSec, "sshd-22")},
	{"strict-modes", "StrictModes", "StrictModes yes", is("yes"), module.Refs(module.DevSec, "sshd-11")},
	{"syslog-facility", "SyslogFacility", "SyslogFacility AUTH", is("AUTH"), module.Refs(module.DevSec, "sshd-12")},
	{"tcp-keep-alive", "TCPKeepAlive", "TCPKeepAlive no", is("no"), module.Refs(module.DevSec, "sshd-35")},
	{"print-motd", "PrintMotd", "PrintMotd no", is("no"), module.Refs(module.DevSec, "sshd-44")},
	{"print-last-log", "PrintLastLog", "PrintLastLog no", is("no"), module.Refs(module.DevSec, "sshd-45")},
	{"debian-banner", "DebianBanner", "DebianBanner no", is("no"),
		module.Refs(module.DevSec, "sshd-47")},
	{"address-family", "AddressFamily", "AddressFamily any, inet or inet6", func(v string) bool {
		return slices.Contains([]string{"any", "inet", "inet6"}, strings.ToLower(v))
	}, module.Refs(module.DevSec, "sshd-08")},
	{"required-rsa-size", "RequiredRSASize", "RequiredRSASize 3072 or more", func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= 3072
	}, module.Refs(module.SSHAudit, "guide")},
}

// maxStartupsOK: no more unauthenticated connections than 10:30:60 allows.
func maxStartupsOK(v string) bool {
	f := strings.Split(normalize("maxstartups", v), ":")
	if len(f) != 3 {
		return false
	}
	start, e1 := strconv.Atoi(f[0])
	rate, e2 := strconv.Atoi(f[1])
	full, e3 := strconv.Atoi(f[2])
	return e1 == nil && e2 == nil && e3 == nil && start <= 10 && rate >= 30 && full <= 60
}

func (a sshdAudit) keyword(c keywordControl) module.Finding {
	f := module.Finding{Control: "sshd." + c.id, Title: c.title, Refs: c.refs, Managed: true}
	v, ok := a.value(strings.ToLower(c.keyword))
	if !ok {
		f.Status, f.Note = module.NotApplicable, c.keyword+" is not known here (sshd -T did not run)"
		return f
	}
	f.Found = strings.Join(v, " ")
	f.Status = module.Verdict(len(v) == 1 && c.ok(v[0]))
	return f
}

// filesMode lists the files that break their mode rule.
func (a sshdAudit) badModes(pick func(string) bool) []string {
	var bad []string
	for _, p := range slices.Sorted(maps.Keys(a.st.Beside.Meta)) {
		if meta := a.st.Beside.Meta[p]; pick(p) && !ruleFor(p).ok(meta) {
			bad = append(bad, fmt.Sprintf("%s %04o %d:%d", p, meta.Mode.Perm(), meta.UID, meta.GID))
		}
	}
	return bad
}

func (a sshdAudit) files() []module.Finding {
	isConfig := func(p string) bool { return slices.Contains(a.st.Order, p) }
	isKey := func(p string) bool { return !isConfig(p) }
	out := []module.Finding{
		modeFinding("config-modes", "sshd_config and drop-ins root:root, 0600", a.badModes(isConfig),
			module.Refs(module.CIS, "5.1.1", module.DevSec, "sshd-05")),
		modeFinding("host-key-modes", "host keys root:root, 0600 private, 0644 public", a.badModes(isKey),
			module.Refs(module.CIS, "5.1.2", module.CIS, "5.1.3")),
	}
	dir := module.Finding{Control: "sshd.etc-ssh", Title: "/etc/ssh owned by root, writable by root alone",
		Refs: module.Refs(module.DevSec, "sshd-04")}
	if e := a.st.Beside.EtcSSH; e != nil {
		dir.Found = fmt.Sprintf("%04o %d:%d", e.Mode.Perm(), e.UID, e.GID)
		dir.Status = module.Verdict(e.UID == rootUID && e.GID == rootGID && e.Mode.Perm()&0o022 == 0)
	} else {
		dir.Status, dir.Note = module.Fail, "/etc/ssh is missing"
	}
	return append(out, dir)
}

func modeFinding(id, title string, bad []string, refs []module.Ref) module.Finding {
	f := module.Finding{Control: "sshd." + id, Title: title, Refs: refs, Managed: true, Status: module.Verdict(len(bad) == 0)}
	if len(bad) > 0 {
		f.Found = strings.Join(bad, ", ")
	}
	return f
}
