package sshd

import (
	"fmt"
	"strconv"
	"strings"

	"harden/modules/module"
)

// Reference documents the sshd block. The sshd_config settings are
// described from the settings table itself (keyword, type, default,
// accepted values); the attributes of harden's own are described here.
func (m *Module) Reference() module.Reference {
	r := module.Reference{
		Summary: "sshd_config: a managed block at the top of the file (sshd keeps the first value it reads, so " +
			"drop-ins cannot override it), validated with `sshd -t`, read back with `sshd -T`; a port move is " +
			"two-phase and commit-confirmed; the lockout guard refuses a plan after which no administrator " +
			"could log in with a key. Every setting takes null to leave it unmanaged.",
		Control: "CIS Debian Linux 12 §5.1; dev-sec ssh-baseline; ssh-audit's hardening guide",
	}
	for _, s := range settings {
		r.Attributes = append(r.Attributes, module.AttributeDoc{Name: s.attr, Type: s.hclType(), Default: s.defaultDoc(),
			Doc: s.doc(), Control: controls[s.attr]})
	}
	r.Attributes = append(r.Attributes, ownAttributes...)
	return r
}

// hclType is the setting's type in the profile.
func (s setting) hclType() string {
	switch s.kind {
	case kindFlag:
		return "bool"
	case kindNumber, kindSeconds:
		return "number"
	case kindPorts:
		return "number or list(number)"
	case kindNames, kindAlgos, kindFiles:
		return "list(string)"
	case kindEnum:
		if s.boolAlias {
			return "string or bool"
		}
	}
	return "string"
}

// defaultDoc is the hardened default as the profile would write it.
func (s setting) defaultDoc() string {
	switch {
	case s.kind == kindAlgos:
		return "the hardened set of the installed OpenSSH release"
	case s.auto:
		return "the administrators the lockout guard finds"
	case s.def == nil:
		return "unmanaged"
	case s.kind == kindFlag:
		return strconv.FormatBool(s.def[0] == "yes")
	case s.kind == kindNumber || s.kind == kindSeconds:
		return s.def[0]
	case s.kind == kindPorts && len(s.def) == 1:
		return s.def[0]
	case s.kind == kindFiles || s.kind == kindNames || s.kind == kindPorts:
		return module.HCLList(s.def)
	}
	return strconv.Quote(s.def[0])
}

// doc names the keyword and what it accepts.
func (s setting) doc() string {
	d := "`" + s.keyword + "`"
	switch {
	case len(s.valid) > 0 && s.kind == kindEnum:
		d += ": one of " + strings.Join(s.valid, ", ")
	case s.kind == kindSeconds:
		d += fmt.Sprintf(", in seconds (%d to %d)", s.min, s.max)
	case s.max > 0:
		d += fmt.Sprintf(" (%d to %d)", s.min, s.max)
	}
	if note := notes[s.attr]; note != "" {
		d += ". " + note
	}
	return d
}

// notes say more than the keyword does, where it matters.
var notes = map[string]string{
	"port":               "Moving it is two-phase: sshd and the firewall keep the old port until `harden confirm` from a session on the new one",
	"allow_users":        "The default admits exactly the administrators who keep a way in (a key that gives a shell, and sudo); the plan names them",
	"banner":             "The file harden writes with banner_text; \"none\" shows no banner",
	"kex_algorithms":     "Names unknown to the installed OpenSSH are refused with the profile's line",
	"host_keys":          "Ed25519 and RSA only: no ECDSA (NIST curves)",
	"max_auth_tries":     "Every key an agent offers counts as a try",
	"debian_banner":      "Debian's keyword: leaves the distribution and patch level out of the version string",
	"ciphers":            "Names unknown to the installed OpenSSH are refused with the profile's line",
	"macs":               "Names unknown to the installed OpenSSH are refused with the profile's line",
	"use_pam":            "PAM still runs account and session checks for key logins",
	"disable_forwarding": "Turns every kind of forwarding off at once",
}

// controls are the benchmark controls each setting serves (README, "By
// the book").
var controls = map[string]string{
	"allow_users":              "CIS 5.1.4",
	"allow_groups":             "CIS 5.1.4",
	"banner":                   "CIS 5.1.5; dev-sec sshd-47",
	"ciphers":                  "CIS 5.1.6",
	"client_alive_interval":    "CIS 5.1.7",
	"client_alive_count_max":   "CIS 5.1.7",
	"disable_forwarding":       "CIS 5.1.8",
	"gssapi_authentication":    "CIS 5.1.9",
	"hostbased_authentication": "CIS 5.1.10",
	"ignore_rhosts":            "CIS 5.1.11",
	"kex_algorithms":           "CIS 5.1.12",
	"login_grace_time":         "CIS 5.1.13",
	"log_level":                "CIS 5.1.14",
	"macs":                     "CIS 5.1.15",
	"max_auth_tries":           "CIS 5.1.16",
	"max_sessions":             "CIS 5.1.17",
	"max_startups":             "CIS 5.1.18",
	"permit_empty_passwords":   "CIS 5.1.19",
	"permit_root_login":        "CIS 5.1.20",
	"permit_user_environment":  "CIS 5.1.21",
	"use_pam":                  "CIS 5.1.22",
}

// ownAttributes are harden's attributes beside the sshd_config settings.
var ownAttributes = []module.AttributeDoc{
	{Name: "allow_lockout", Type: "bool", Default: "false",
		Doc: "Let a plan through that would leave no administrator a way in with a key (the plan warns instead of refusing)"},
	{Name: "keep_rsa_host_key", Type: "bool", Default: "false",
		Doc:     "Keep an RSA host key under 4096 bits; by default it is replaced by a new 4096-bit key (the plan names the old fingerprint)",
		Control: "dev-sec sshd-50"},
	{Name: "banner_text", Type: "string", Default: strconv.Quote(strings.TrimSuffix(defaultBannerText, "\n")),
		Doc: "The warning shown before login, written to the banner file; it names no system or version", Control: "CIS 5.1.5"},
	{Name: "file_modes", Type: "bool", Default: "true",
		Doc:     "sshd_config and its drop-ins root:root 0600, private host keys 0600, public ones 0644; null or false leaves the modes alone",
		Control: "CIS 5.1.1-5.1.3; dev-sec sshd-05"},
	{Name: "moduli_min_bits", Type: "number", Default: strconv.Itoa(defaultModuliMinBits),
		Doc:     "/etc/ssh/moduli keeps only group-exchange moduli of at least this many bits (2048 to 8192); null leaves the file alone",
		Control: "dev-sec sshd-48"},
}
