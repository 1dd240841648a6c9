package lockout

import (
	"bufio"
	"bytes"
	"io/fs"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"harden/modules/host"
	"harden/modules/internal/accounts"
)

// Read gathers the facts for every account with a login shell: groups,
// sudo rights, and the authorized_keys files sshd would consult
// (authorizedKeysFiles as sshd -T prints AuthorizedKeysFile; %h, %u and
// relative paths are expanded the way sshd does). On the live machine it
// also notes the operator's address from SSH_CONNECTION; an offline root
// is an image whoever logs into it later, so there it stays unknown.
func Read(h *host.Host, authorizedKeysFiles []string) (Facts, error) {
	db, err := accounts.Read(h.ReadFile)
	if err != nil {
		return Facts{}, err
	}
	groupFile, err := h.ReadFile("/etc/group")
	if err != nil {
		return Facts{}, err
	}
	rules, sudoers := readSudoers(h)
	f := Facts{Now: time.Now(), SudoMissing: !sudoers}
	if !h.Offline() {
		f.Client = sessionClient(h.Getenv("SSH_CONNECTION"))
	}
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

// sessionClient is the client address of SSH_CONNECTION ("client_ip
// client_port server_ip server_port"); invalid when there is none.
func sessionClient(conn string) netip.Addr {
	f := strings.Fields(conn)
	if len(f) != 4 {
		return netip.Addr{}
	}
	addr, _ := netip.ParseAddr(f[0])
	return addr.Unmap().WithZone("")
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
	k := KeyFile{Path: file, Keys: parseKeys(data, time.Local)}
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
