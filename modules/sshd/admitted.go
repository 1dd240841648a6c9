package sshd

import (
	"fmt"
	"slices"
	"strings"

	"harden/modules/lockout"
)

// The default AllowUsers (CIS 5.1.4 wants sshd to admit only named users
// or groups): the operators a key-only sshd admits as administrators, as
// the lockout guard finds them: a login shell, a key sshd accepts in an
// authorized_keys file it trusts, and sudo. A user who logs in without
// being an administrator (a CI account) must be named in allow_users.
// The list is read on every plan, so an operator added later (a key and
// sudo) shows up as drift, and `harden apply` admits them. No group is
// created and no account is changed.

// admittedUsers fills in the default AllowUsers. It stays unmanaged when
// the profile restricts by group (sshd would then need a user in both), or
// when the accounts could not be read; nobody admitted leaves it to the
// lockout guard to refuse the plan.
func (m *Module) admittedUsers(st *State, want map[string][]string) ([]string, string) {
	if len(want["allowgroups"]) > 0 || st.Guard == nil || st.Guard.Err != "" {
		return nil, ""
	}
	open := make(map[string][]string, len(want))
	for k, v := range want {
		open[k] = v
	}
	open["allowusers"] = nil // who would get in without an AllowUsers line
	var users, who []string
	for _, a := range lockout.Admitted(st.Guard.Facts, m.policy(*st.Guard, open)) {
		if !slices.Contains(users, a.User) {
			users = append(users, a.User)
			who = append(who, a.String())
		}
	}
	if len(users) == 0 {
		return nil, ""
	}
	slices.Sort(users)
	return users, fmt.Sprintf("AllowUsers admits the administrators who log in with a key: %s (allow_users in "+
		"the profile names others)", strings.Join(who, "; "))
}
