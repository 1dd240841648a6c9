// Package lockout decides whether an sshd configuration would lock the
// operator out: after password (or root) login is turned off, at least one
// user that sshd will let in must have a key sshd accepts, in an
// authorized_keys file sshd will trust, and be able to become root.
//
// Check is pure: Facts are read from the machine by Read, the Policy comes
// from the resulting sshd configuration.
package lockout

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

// Facts are what the machine says about its would-be operators.
type Facts struct {
	Users []User
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
	// KeyTypes are the key types of the file's valid key lines.
	KeyTypes []string
	// Modes and owners of the file and its parent directories, file first.
	Modes  []fs.FileMode
	Owners []int
}

// Policy is the sshd configuration that will be in effect.
type Policy struct {
	PasswordLogin   bool   // PasswordAuthentication or KbdInteractive on
	PermitRootLogin string // yes, no, prohibit-password, forced-commands-only
	AllowUsers      []string
	AllowGroups     []string
	DenyUsers       []string
	DenyGroups      []string
	// PubkeyAcceptedAlgorithms as sshd -T prints them.
	PubkeyAcceptedAlgorithms []string
}

// Verdict explains the decision user by user.
type Verdict struct {
	OK bool
	// Way in is the first user found who keeps access ("deploy with
	// ~/.ssh/authorized_keys (ssh-ed25519), sudo").
	WayIn string
	// Problems say, per user, why that user would not get in.
	Problems []string
}

// Check decides whether the policy leaves a way in for an administrator.
// A policy that keeps password login on never locks anyone out by keys.
func Check(f Facts, p Policy) Verdict {
	if p.PasswordLogin {
		return Verdict{OK: true, WayIn: "password login stays on"}
	}
	var v Verdict
	users := slices.Clone(f.Users)
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	for _, u := range users {
		if !interactiveShell(u.Shell) {
			continue
		}
		way, problem := check(u, p)
		if problem != "" {
			v.Problems = append(v.Problems, u.Name+": "+problem)
			continue
		}
		return Verdict{OK: true, WayIn: way}
	}
	return v
}

func check(u User, p Policy) (string, string) {
	if reason := sshdRefuses(u, p); reason != "" {
		return "", reason
	}
	root := u.UID == 0
	if !root && !u.CanSudo {
		return "", "cannot become root (not in the sudo group or sudoers)"
	}
	if !root && u.SudoNeedsPassword {
		return "", "sudo asks for a password the account does not have"
	}
	var keyProblems []string
	for _, k := range u.Keys {
		problem := keyFileProblem(u, k, p.PubkeyAcceptedAlgorithms)
		if problem == "" {
			how := "sudo"
			if root {
				how = "root login by key"
			}
			return fmt.Sprintf("%s with %s (%s), %s", u.Name, k.Path, strings.Join(k.KeyTypes, ", "), how), ""
		}
		keyProblems = append(keyProblems, problem)
	}
	if len(keyProblems) == 0 {
		return "", "no authorized_keys file"
	}
	return "", strings.Join(keyProblems, "; ")
}

// sshdRefuses says why sshd would not let the user in at all, or "".
func sshdRefuses(u User, p Policy) string {
	if u.UID == 0 && (p.PermitRootLogin == "no" || p.PermitRootLogin == "forced-commands-only") {
		return "root login is off"
	}
	if slices.Contains(p.DenyUsers, u.Name) || overlaps(p.DenyGroups, u.Groups) {
		return "denied by DenyUsers/DenyGroups"
	}
	if len(p.AllowUsers) > 0 && !slices.Contains(p.AllowUsers, u.Name) {
		return "not in AllowUsers"
	}
	if len(p.AllowGroups) > 0 && !overlaps(p.AllowGroups, u.Groups) {
		return "not in AllowGroups"
	}
	return ""
}

// keyFileProblem applies sshd's StrictModes and algorithm checks.
func keyFileProblem(u User, k KeyFile, accepted []string) string {
	for i, mode := range k.Modes {
		if mode&0o022 != 0 {
			return fmt.Sprintf("%s is writable by group or others (mode %04o): sshd ignores it", k.Path, mode.Perm())
		}
		if i < len(k.Owners) && k.Owners[i] != u.UID && k.Owners[i] != 0 {
			return fmt.Sprintf("%s (or a directory above it) is owned by uid %d: sshd ignores it", k.Path, k.Owners[i])
		}
	}
	if len(k.KeyTypes) == 0 {
		return k.Path + " holds no key"
	}
	for _, t := range k.KeyTypes {
		if keyAccepted(t, accepted) {
			return ""
		}
	}
	return fmt.Sprintf("%s holds only %s keys, which the new PubkeyAcceptedAlgorithms refuse",
		k.Path, strings.Join(k.KeyTypes, ", "))
}

// keyAccepted reports whether a key of this type can sign with one of the
// accepted algorithms (an ssh-rsa key signs with rsa-sha2-256/512).
func keyAccepted(keyType string, accepted []string) bool {
	if len(accepted) == 0 {
		return true // unknown: sshd's defaults accept every current key type
	}
	algs := []string{keyType}
	if keyType == "ssh-rsa" {
		algs = append(algs, "rsa-sha2-256", "rsa-sha2-512")
	}
	for _, a := range algs {
		if slices.Contains(accepted, a) {
			return true
		}
	}
	return false
}

func interactiveShell(shell string) bool {
	return shell != "" && !strings.HasSuffix(shell, "/nologin") && !strings.HasSuffix(shell, "/false") &&
		shell != "/bin/sync"
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
