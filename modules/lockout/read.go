package lockout

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"

	"harden/modules/host"
	"harden/modules/internal/accounts"
)

// Read gathers the facts for every account with a login shell: groups,
// sudo rights, and the authorized_keys files sshd would consult
// (authorizedKeysFiles as sshd -T prints AuthorizedKeysFile; %h, %u and
// relative paths are expanded the way sshd does).
func Read(h *host.Host, authorizedKeysFiles []string) (Facts, error) {
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		return Facts{}, err
	}
	groupFile, err := h.ReadFile("/etc/group")
	if err != nil {
		return Facts{}, err
	}
	rules := readSudoers(h)
	var f Facts
	for _, acct := range db.Users {
		if !interactiveShell(acct.Shell) {
			continue
		}
		u := User{Name: acct.Name, UID: acct.UID, Home: acct.Home, Shell: acct.Shell, Groups: groupsOf(groupFile, db, acct)}
		u.CanSudo, u.SudoNeedsPassword = rules.allows(u)
		if u.SudoNeedsPassword {
			u.SudoNeedsPassword = !hasPassword(db.Passwords, u.Name)
		}
		for _, pattern := range authorizedKeysFiles {
			if k, ok := readKeyFile(h, u, expand(pattern, u)); ok {
				u.Keys = append(u.Keys, k)
			}
		}
		f.Users = append(f.Users, u)
	}
	return f, nil
}

// groupsOf lists a user's primary group and the groups that name it as a
// member (the fourth field of /etc/group).
func groupsOf(groupFile []byte, db *accounts.DB, u accounts.User) []string {
	var names []string
	for _, g := range db.Groups {
		if g.GID == u.GID {
			names = append(names, g.Name)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(groupFile))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) == 4 && slices.Contains(strings.Split(fields[3], ","), u.Name) &&
			!slices.Contains(names, fields[0]) {
			names = append(names, fields[0])
		}
	}
	return names
}

// hasPassword: a usable password hash (not empty, not "!..." or "*").
// Unknown (shadow unreadable) counts as having one.
func hasPassword(passwords map[string]string, user string) bool {
	if passwords == nil {
		return true
	}
	pw := passwords[user]
	return pw != "" && !strings.HasPrefix(pw, "!") && !strings.HasPrefix(pw, "*")
}

func expand(pattern string, u User) string {
	p := strings.NewReplacer("%h", u.Home, "%u", u.Name, "%%", "%").Replace(pattern)
	if !path.IsAbs(p) {
		p = path.Join(u.Home, p)
	}
	return p
}

// readKeyFile reads one authorized_keys file and the modes and owners of
// the file and each directory up to the home directory.
func readKeyFile(h *host.Host, u User, file string) (KeyFile, bool) {
	data, err := h.ReadFile(file)
	if err != nil {
		return KeyFile{}, false
	}
	k := KeyFile{Path: file, KeyTypes: keyTypes(data)}
	for p := file; ; p = path.Dir(p) {
		meta, err := h.Meta(p)
		if err != nil {
			break
		}
		k.Modes = append(k.Modes, fs.FileMode(meta.Mode))
		k.Owners = append(k.Owners, meta.UID)
		if p == u.Home || p == "/" || !strings.HasPrefix(file, u.Home+"/") {
			break
		}
	}
	return k, true
}

var knownKeyTypes = []string{
	"ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
}

// keyTypes lists the distinct key types of an authorized_keys file. A line
// may start with options (`from="..." ssh-ed25519 AAAA...`): the type is
// the first known key type token.
func keyTypes(data []byte) []string {
	var types []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, tok := range strings.Fields(line) {
			base := strings.Replace(tok, "-cert-v01@openssh.com", "", 1)
			if slices.Contains(knownKeyTypes, base) || slices.Contains(knownKeyTypes, base+"@openssh.com") {
				if !slices.Contains(types, tok) {
					types = append(types, tok)
				}
				break
			}
		}
	}
	return types
}

// sudoRule is one "who host=(runas) [NOPASSWD:] cmds" line.
type sudoRule struct {
	who      string // user name, or "%group"
	nopasswd bool
}

type sudoRules []sudoRule

// allows reports whether a rule lets the user become root, and whether the
// best such rule needs the user's password.
func (rs sudoRules) allows(u User) (can, needsPassword bool) {
	for _, r := range rs {
		match := r.who == u.Name || (strings.HasPrefix(r.who, "%") && slices.Contains(u.Groups, r.who[1:]))
		if !match {
			continue
		}
		if r.nopasswd {
			return true, false
		}
		can, needsPassword = true, true
	}
	return can, needsPassword
}

// readSudoers reads /etc/sudoers and the files of /etc/sudoers.d (what
// Debian's @includedir reads: no dots, no trailing ~). Aliases and
// Defaults are ignored: the guard errs on the side of refusing.
func readSudoers(h *host.Host) sudoRules {
	files := []string{"/etc/sudoers"}
	if more, err := h.Glob("/etc/sudoers.d/*"); err == nil {
		for _, f := range more {
			base := path.Base(f)
			if !strings.Contains(base, ".") && !strings.HasSuffix(base, "~") {
				files = append(files, f)
			}
		}
	}
	var rules sudoRules
	for _, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			continue
		}
		rules = append(rules, parseSudoers(data)...)
	}
	return rules
}

func parseSudoers(data []byte) sudoRules {
	var rules sudoRules
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "@") ||
			strings.HasPrefix(line, "Defaults") || strings.Contains(line, "_Alias") {
			continue
		}
		who, rest, ok := strings.Cut(line, " ")
		if !ok || !strings.Contains(rest, "=") {
			continue
		}
		runAs := "(root)"
		if i := strings.Index(rest, "=("); i >= 0 {
			runAs = rest[i+1:]
		}
		if !strings.HasPrefix(runAs, "(ALL") && !strings.HasPrefix(runAs, "(root") {
			continue
		}
		rules = append(rules, sudoRule{who: who, nopasswd: strings.Contains(rest, "NOPASSWD:")})
	}
	return rules
}
