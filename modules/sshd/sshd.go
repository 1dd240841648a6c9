// Package sshd converges the OpenSSH server: hardened settings in a managed
// block at the top of /etc/ssh/sshd_config, checked against what sshd really
// uses (`sshd -T`), validated with `sshd -t` before the live file is
// replaced, then a reload of ssh.service over D-Bus.
//
// Profile block (every attribute optional; an absent one takes the hardened
// default, `name = null` leaves that keyword unmanaged: harden neither
// writes nor checks it):
//
//	sshd {
//	  port                           = var.ssh_port   # or a list: [22, 2200]
//	  permit_root_login              = false          # or "prohibit-password", "forced-commands-only"
//	  password_authentication        = false
//	  kbd_interactive_authentication = false
//	  pubkey_authentication          = true
//	  authentication_methods         = "publickey"
//	  max_auth_tries                 = 3
//	  login_grace_time               = 30             # seconds
//	  max_startups                   = "10:30:60"
//	  client_alive_interval          = 300            # seconds
//	  client_alive_count_max         = 2
//	  x11_forwarding                 = false
//	  allow_agent_forwarding         = false
//	  allow_tcp_forwarding           = false          # or "local", "remote"
//	  permit_tunnel                  = false          # or "point-to-point", "ethernet"
//	  permit_user_environment        = false
//	  log_level                      = "VERBOSE"
//	  allow_users                    = ["iri-admin"]  # unmanaged unless set
//	  allow_groups                   = ["sshusers"]   # unmanaged unless set
//	  kex_algorithms                 = [...]          # default: chosen for the installed OpenSSH
//	  ciphers                        = [...]
//	  macs                           = [...]
//	  host_key_algorithms            = [...]
//	}
//
// The algorithm lists default to a hardened set for the OpenSSH release
// really installed (found in dpkg's status database; algorithms.go says
// how the sets are chosen). A list written in the profile may name any
// algorithm of OpenSSH 9.2 and later; the plan refuses names the installed
// release does not know.
//
// An empty list for allow_users or allow_groups is managed too: it means no
// such restriction may be in effect.
package sshd

import (
	"context"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/host"
	"harden/modules/internal/dpkg"
	"harden/modules/module"
)

// Factory registers the module for `sshd { ... }` blocks.
var Factory = module.Factory{
	Block: "sshd",
	Doc:   "OpenSSH server: keys only, no root, modern algorithms, validated with sshd -t, reloaded over D-Bus",
	New:   func() module.Module { return New() },
}

const (
	configPath       = "/etc/ssh/sshd_config"
	socketDropInDir  = "/etc/systemd/system/ssh.socket.d"
	socketDropInPath = socketDropInDir + "/harden-listen.conf"
	serviceUnit      = "ssh.service"
	socketUnit       = "ssh.socket"
)

// Module is the sshd module. The zero value is not ready: use New.
type Module struct {
	// want maps a managed keyword (lower case) to its desired values in
	// sshd_config form; keywords absent from it are unmanaged. An algorithm
	// list mapped to nil takes the hardened set of the installed OpenSSH
	// (see desired).
	want map[string][]string
	// ranges holds where the profile wrote each name of an algorithm list.
	ranges map[string]map[string]hcl.Range
	// sshdBinary is the sshd used for `sshd -T` and `sshd -t`; sshBinary
	// the client asked for algorithm names (`ssh -Q`) when the installed
	// release is not in the tables.
	sshdBinary, sshBinary string
	// validator replaces running `sshd -t` where no sshd can run (tier-1
	// tests); it gets the path of the candidate's sshd_config.
	validator func(ctx context.Context, h *host.Host, candidate string) error
	// validatorStatus is the package database of the machine harden runs
	// on, whose sshd validates an offline root's config.
	validatorStatus string
	// allowLockout turns the lockout guard's refusal into a warning.
	allowLockout bool
	// bannerText is what the Banner file says.
	bannerText string
	// keepRSAHostKey keeps an RSA host key under 4096 bits.
	keepRSAHostKey bool
	// fileModes: the config files and host keys get root:root and no
	// more than 0600 (keys' public halves 0644).
	fileModes bool
	// moduliMinBits is the smallest group-exchange modulus kept in
	// /etc/ssh/moduli; 0 leaves the file alone.
	moduliMinBits int
	// held are old ports kept during a two-phase port move (HoldSSHPorts).
	held []int
	// readAhead is a state LivePorts read, used once by the next Read.
	readAhead *State
}

// New returns a module with every hardened default (as if its block were
// empty).
func New() *Module {
	m := &Module{sshdBinary: "sshd", sshBinary: "ssh", validatorStatus: dpkg.StatusPath,
		bannerText: defaultBannerText, fileModes: true, moduliMinBits: defaultModuliMinBits}
	m.want = defaults()
	return m
}

func defaults() map[string][]string {
	want := map[string][]string{}
	for _, s := range settings {
		if s.def != nil || s.kind == kindAlgos || s.auto {
			want[strings.ToLower(s.keyword)] = s.def
		}
	}
	return want
}

// desired is what the profile wants with what it leaves to harden filled
// in: the algorithm lists for the installed release (a list the release
// has no hardened choice for stays unmanaged; the plan warns), and
// AllowUsers for the administrators found (admitted.go). The note says
// who AllowUsers admits.
func (m *Module) desired(st *State) (want map[string][]string, note string) {
	want = make(map[string][]string, len(m.want))
	for key, v := range m.want {
		if v == nil && settingByKey[key].kind == kindAlgos {
			set := st.OpenSSH.rel.hardened(key)
			if len(set) == 0 {
				continue
			}
			v = []string{strings.Join(set, ",")}
		}
		want[key] = v
	}
	if v, ok := want["allowusers"]; ok && v == nil {
		delete(want, "allowusers")
		var users []string
		if users, note = m.admittedUsers(st, want); users != nil {
			want["allowusers"] = users
		}
	}
	return want, note
}

// Name is the address prefix of this module's changes.
func (m *Module) Name() string { return "sshd" }

// Ports are the ports sshd should listen on, for the firewall. Nil when the
// profile leaves Port unmanaged: then whatever sshd uses now stays.
func (m *Module) Ports() []int {
	var ports []int
	for _, v := range m.want["port"] {
		if n, err := strconv.Atoi(v); err == nil {
			ports = append(ports, n)
		}
	}
	return ports
}

// DisablesPasswordLogin reports whether the profile turns password logins
// off (PasswordAuthentication no, or AuthenticationMethods that never ask
// for a password). The lockout guard must then find a login user with keys.
func (m *Module) DisablesPasswordLogin() bool {
	if v := m.want["passwordauthentication"]; len(v) == 1 && v[0] == "no" {
		return true
	}
	if v := m.want["authenticationmethods"]; len(v) == 1 && v[0] != "any" {
		return !strings.Contains(v[0], "password") && !strings.Contains(v[0], "keyboard-interactive")
	}
	return false
}

// DisablesRootLogin reports whether the profile sets PermitRootLogin no:
// root then cannot be the login user the lockout guard relies on.
func (m *Module) DisablesRootLogin() bool {
	v := m.want["permitrootlogin"]
	return len(v) == 1 && v[0] == "no"
}

// AllowUsers is the desired AllowUsers list; nil when unmanaged, empty when
// the profile forbids any AllowUsers restriction.
func (m *Module) AllowUsers() []string { return m.list("allowusers") }

// AllowGroups is the desired AllowGroups list, like AllowUsers.
func (m *Module) AllowGroups() []string { return m.list("allowgroups") }

func (m *Module) list(key string) []string {
	v, ok := m.want[key]
	if !ok {
		return nil
	}
	return append([]string{}, v...)
}
