// Package lockout decides whether an sshd configuration would lock the
// operator out: after password (or root) login is turned off, at least one
// user that sshd will let in must have a key sshd accepts, in an
// authorized_keys file sshd will trust, that gives a shell, and be able to
// become root (to run `sudo harden confirm`, or to repair anything).
//
// Check and Admitted are pure: Facts are read from the machine by Read,
// the Policy comes from the resulting sshd configuration.
package lockout

import (
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// Facts are what the machine says about its would-be operators.
type Facts struct {
	Users []User `json:"users"`
	// Client is the operator's address (SSH_CONNECTION's client); invalid
	// when unknown (a console, an offline image).
	Client netip.Addr `json:"client,omitzero"`
	// Now is when the facts were read: keys whose expiry-time is before it
	// no longer log in.
	Now time.Time `json:"now"`
	// SudoMissing: no /etc/sudoers, so sudo is not installed.
	SudoMissing bool `json:"sudo_missing,omitempty"`
}

// User is one account that could log in.
type User struct {
	Name   string
	UID    int
	Home   string
	Shell  string
	Groups []string // supplementary and primary group names
	// CanSudo: a sudoers rule lets the user (or one of its groups) run
	// commands as root.
	CanSudo bool
	// SudoNeedsPassword: that rule asks for the user's password, and the
	// account has none (so sudo cannot work once the user is in).
	SudoNeedsPassword bool
	Keys              []KeyFile
}

// KeyFile is one authorized_keys file and the modes sshd's StrictModes
// checks (the file, ~/.ssh, the home directory).
type KeyFile struct {
	Path string
	// Keys are the file's lines that are not blank or comments.
	Keys []Key
	// Modes and owners of the file and its parent directories, file first.
	Modes  []fs.FileMode
	Owners []int
}

// Policy is the sshd configuration that will be in effect.
type Policy struct {
	PasswordLogin   bool   // PasswordAuthentication or KbdInteractive on
	PermitRootLogin string // yes, no, prohibit-password, forced-commands-only
	// PubkeyOff: PubkeyAuthentication no, so no key logs in at all.
	PubkeyOff   bool
	AllowUsers  []string
	AllowGroups []string
	DenyUsers   []string
	DenyGroups  []string
	// PubkeyAcceptedAlgorithms as sshd -T prints them; nil when unknown.
	PubkeyAcceptedAlgorithms []string
	// RequiredRSASize is the smallest RSA key sshd accepts; 0: sshd's
	// default, 1024.
	RequiredRSASize int
}

// Access is one user's way in: a key that gives a shell, and root.
type Access struct {
	User    string `json:"user"`
	KeyFile string `json:"key_file"`
	// Keys describe the file's usable keys: "ssh-ed25519", or with what
	// limits them ("ssh-ed25519, no pty").
	Keys []string `json:"keys"`
	// Root is how the user becomes root: "sudo" or "root login by key".
	Root string `json:"root"`
}

func (a Access) String() string {
	return fmt.Sprintf("%s with %s (%s), %s", a.User, a.KeyFile, strings.Join(a.Keys, "; "), a.Root)
}

// Verdict explains the decision user by user.
type Verdict struct {
	OK bool
	// WayIn is the first user found who keeps access ("deploy with
	// /home/deploy/.ssh/authorized_keys (ssh-ed25519), sudo").
	WayIn string
	// Admitted are all the users who keep access with a key.
	Admitted []Access
	// Problems say, one entry per user, every reason that user would not
	// get in ("deploy: not in AllowUsers; no authorized_keys file").
	Problems []string
}

// Check decides whether the policy leaves a way in for an administrator.
// A policy that keeps password login on never locks anyone out by keys.
func Check(f Facts, p Policy) Verdict {
	v := Verdict{}
	for _, u := range operators(f) {
		a, reasons := evaluate(u, f, p)
		if len(reasons) > 0 {
			v.Problems = append(v.Problems, u.Name+": "+strings.Join(reasons, "; "))
			continue
		}
		v.Admitted = append(v.Admitted, a)
	}
	switch {
	case p.PasswordLogin:
		v.OK, v.WayIn = true, "password login stays on"
	case len(v.Admitted) > 0:
		v.OK, v.WayIn = true, v.Admitted[0].String()
	}
	return v
}

// Admitted lists the users the policy lets in with a key that gives a
// shell and who can become root, whether or not password login stays on:
// who a key-only sshd admits as an administrator.
func Admitted(f Facts, p Policy) []Access { return Check(f, p).Admitted }

// operators are the users with a login shell, by name.
func operators(f Facts) []User {
	var users []User
	for _, u := range f.Users {
		if interactiveShell(u.Shell) {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	return users
}

// evaluate finds the user's way in, or every reason there is none.
func evaluate(u User, f Facts, p Policy) (Access, []string) {
	reasons := sshdRefuses(u, f.Client, p)
	root := "sudo"
	if u.UID == 0 {
		root = "root login by key"
	} else if r := sudoProblem(u, f); r != "" {
		reasons = append(reasons, r)
	}
	file, keys, keyReasons := usableKeys(u, f, p)
	reasons = append(reasons, keyReasons...)
	if len(reasons) > 0 {
		return Access{}, reasons
	}
	return Access{User: u.Name, KeyFile: file, Keys: keys, Root: root}, nil
}

// sshdRefuses says why sshd would not let the user in at all, whatever key.
func sshdRefuses(u User, client netip.Addr, p Policy) []string {
	var reasons []string
	if p.PubkeyOff {
		reasons = append(reasons, "PubkeyAuthentication is off")
	}
	if u.UID == 0 && (p.PermitRootLogin == "no" || p.PermitRootLogin == "forced-commands-only") {
		reasons = append(reasons, "root login is off")
	}
	if slices.ContainsFunc(p.DenyUsers, func(pat string) bool { return MatchUser(u.Name, client, pat) }) {
		reasons = append(reasons, "denied by DenyUsers")
	}
	if matchAny(p.DenyGroups, u.Groups) {
		reasons = append(reasons, "denied by DenyGroups")
	}
	if len(p.AllowUsers) > 0 && !slices.ContainsFunc(p.AllowUsers, func(pat string) bool { return MatchUser(u.Name, client, pat) }) {
		reasons = append(reasons, "not in AllowUsers")
	}
	if len(p.AllowGroups) > 0 && !matchAny(p.AllowGroups, u.Groups) {
		reasons = append(reasons, "not in AllowGroups")
	}
	return reasons
}

// adminGroups are the groups Debian and Ubuntu give sudo rights to in
// their stock sudoers (sudo; admin on older Ubuntu; wheel elsewhere).
var adminGroups = []string{"sudo", "admin", "wheel"}

// sudoProblem says why a non-root user cannot become root, or "".
func sudoProblem(u User, f Facts) string {
	switch {
	case f.SudoMissing:
		return "cannot become root: sudo is not installed (no /etc/sudoers)"
	case u.CanSudo && u.SudoNeedsPassword:
		return "sudo asks for a password the account does not have"
	case u.CanSudo:
		return ""
	}
	for _, g := range adminGroups {
		if slices.Contains(u.Groups, g) {
			return fmt.Sprintf("cannot become root: in the %s group, but no sudoers rule grants %%%s", g, g)
		}
	}
	return "cannot become root: not in the sudo group or sudoers"
}

// usableKeys finds the first authorized_keys file with a key that gives a
// shell, or why none does.
func usableKeys(u User, f Facts, p Policy) (file string, keys []string, reasons []string) {
	for _, k := range u.Keys {
		keys, problem := keyFileKeys(u, k, f, p)
		if len(keys) > 0 {
			return k.Path, keys, nil
		}
		reasons = append(reasons, problem)
	}
	if len(u.Keys) == 0 {
		reasons = append(reasons, "no authorized_keys file")
	}
	return "", nil, reasons
}

// keyFileKeys describes the file's usable keys; when there is none,
// problem says why, line by line.
func keyFileKeys(u User, k KeyFile, f Facts, p Policy) (keys []string, problem string) {
	if problem := strictModesProblem(u, k); problem != "" {
		return nil, problem
	}
	if len(k.Keys) == 0 {
		return nil, k.Path + " holds no key"
	}
	var problems []string
	for _, key := range k.Keys {
		if reason := key.problem(f, p); reason != "" {
			problems = append(problems, fmt.Sprintf("line %d %s", key.Line, reason))
			continue
		}
		if d := key.describe(f); !slices.Contains(keys, d) {
			keys = append(keys, d)
		}
	}
	return keys, k.Path + ": " + strings.Join(problems, "; ")
}

// strictModesProblem applies sshd's StrictModes to the file and the
// directories above it.
func strictModesProblem(u User, k KeyFile) string {
	for i, mode := range k.Modes {
		if mode&0o022 != 0 {
			return fmt.Sprintf("%s is writable by group or others (mode %04o): sshd ignores it", k.Path, mode.Perm())
		}
		if i < len(k.Owners) && k.Owners[i] != u.UID && k.Owners[i] != 0 {
			return fmt.Sprintf("%s (or a directory above it) is owned by uid %d: sshd ignores it", k.Path, k.Owners[i])
		}
	}
	return ""
}

func interactiveShell(shell string) bool {
	return shell != "" && !strings.HasSuffix(shell, "/nologin") && !strings.HasSuffix(shell, "/false") &&
		shell != "/bin/sync"
}
