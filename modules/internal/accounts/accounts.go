// Package accounts reads the account databases (/etc/passwd, /etc/group,
// /etc/shadow) of a system under a root. It only reads: changes go through
// useradd, usermod and groupadd, which keep the databases consistent.
package accounts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// User is one /etc/passwd entry.
type User struct {
	Name  string `json:"name"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Home  string `json:"home"`
	Shell string `json:"shell"`
}

// Group is one /etc/group entry.
type Group struct {
	Name string `json:"name"`
	GID  int    `json:"gid"`
}

// DB is what the account databases say.
type DB struct {
	Users  []User
	Groups []Group
	// Passwords maps a user to the password field of /etc/shadow. Nil when
	// the shadow file could not be read.
	Passwords map[string]string
}

// ReadFunc reads a system path (host.Host.ReadFile).
type ReadFunc func(path string) ([]byte, error)

// Read loads passwd and group (both required) and shadow (optional: it is
// unreadable without root; Passwords stays nil then).
func Read(read ReadFunc) (*DB, error) {
	db := &DB{}
	passwd, err := read("/etc/passwd")
	if err != nil {
		return nil, fmt.Errorf("read account database: %w", err)
	}
	if db.Users, err = parsePasswd(passwd); err != nil {
		return nil, err
	}
	group, err := read("/etc/group")
	if err != nil {
		return nil, fmt.Errorf("read account database: %w", err)
	}
	if db.Groups, err = parseGroup(group); err != nil {
		return nil, err
	}
	shadow, err := read("/etc/shadow")
	switch {
	case err == nil:
		db.Passwords = parseShadow(shadow)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
	default:
		return nil, fmt.Errorf("read account database: %w", err)
	}
	return db, nil
}

// User finds a user by name.
func (db *DB) User(name string) (User, bool) {
	for _, u := range db.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// UserByUID finds the first user with a uid.
func (db *DB) UserByUID(uid int) (User, bool) {
	for _, u := range db.Users {
		if u.UID == uid {
			return u, true
		}
	}
	return User{}, false
}

// Group finds a group by name.
func (db *DB) Group(name string) (Group, bool) {
	for _, g := range db.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// GroupByGID finds the first group with a gid.
func (db *DB) GroupByGID(gid int) (Group, bool) {
	for _, g := range db.Groups {
		if g.GID == gid {
			return g, true
		}
	}
	return Group{}, false
}

// Locked reports whether a user cannot log in with a password: its shadow
// password field is empty of a usable hash ("!", "!hash", "*", "!*").
// known is false when shadow was unreadable or has no entry for the user.
func (db *DB) Locked(name string) (locked, known bool) {
	if db.Passwords == nil {
		return false, false
	}
	pw, ok := db.Passwords[name]
	if !ok {
		return false, false
	}
	return pw != "" && (pw[0] == '!' || pw[0] == '*'), true
}

// UserName returns the name of a uid, or the number when it has none.
func (db *DB) UserName(uid int) string {
	if u, ok := db.UserByUID(uid); ok {
		return u.Name
	}
	return strconv.Itoa(uid)
}

// GroupName returns the name of a gid, or the number when it has none.
func (db *DB) GroupName(gid int) string {
	if g, ok := db.GroupByGID(gid); ok {
		return g.Name
	}
	return strconv.Itoa(gid)
}

func lines(data []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// NIS compat lines ("+", "-name") carry no local account.
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

func parsePasswd(data []byte) ([]User, error) {
	var users []User
	for i, f := range lines(data) {
		if len(f) != 7 {
			return nil, fmt.Errorf("/etc/passwd: entry %d has %d fields, want 7", i+1, len(f))
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("/etc/passwd: entry %q: %w", f[0], err)
		}
		users = append(users, User{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6]})
	}
	return users, nil
}

func parseGroup(data []byte) ([]Group, error) {
	var groups []Group
	for i, f := range lines(data) {
		if len(f) != 4 {
			return nil, fmt.Errorf("/etc/group: entry %d has %d fields, want 4", i+1, len(f))
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("/etc/group: entry %q: %w", f[0], err)
		}
		groups = append(groups, Group{Name: f[0], GID: gid})
	}
	return groups, nil
}

func parseShadow(data []byte) map[string]string {
	pw := map[string]string{}
	for _, f := range lines(data) {
		if len(f) >= 2 {
			pw[f[0]] = f[1]
		}
	}
	return pw
}
