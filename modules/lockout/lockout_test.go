package lockout

import (
	"io/fs"
	"net/netip"
	"strings"
	"testing"
)

func deploy(mod func(*User)) User {
	u := User{Name: "deploy", UID: 1000, Home: "/home/deploy", Shell: "/bin/bash",
		Groups: []string{"deploy", "sudo"}, CanSudo: true,
		Keys: []KeyFile{{Path: "/home/deploy/.ssh/authorized_keys", Keys: []Key{{Line: 1, Type: "ssh-ed25519"}},
			Modes: []fs.FileMode{0o600, 0o700, 0o755}, Owners: []int{1000, 1000, 1000}}}}
	if mod != nil {
		mod(&u)
	}
	return u
}

var keyOnly = Policy{PermitRootLogin: "no",
	PubkeyAcceptedAlgorithms: []string{"ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"}}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		users   []User
		policy  func(*Policy)
		ok      bool
		problem string // a substring of the problems, or of WayIn when ok
	}{
		{"sudo user with an ed25519 key", []User{deploy(nil)}, nil, true, "deploy with /home/deploy/.ssh/authorized_keys (ssh-ed25519), sudo"},
		{"password login kept on", []User{deploy(func(u *User) { u.Keys = nil })},
			func(p *Policy) { p.PasswordLogin = true }, true, "password login stays on"},
		{"no authorized_keys", []User{deploy(func(u *User) { u.Keys = nil })}, nil, false, "deploy: no authorized_keys file"},
		{"empty authorized_keys", []User{deploy(func(u *User) { u.Keys[0].Keys = nil })}, nil, false, "holds no key"},
		{"group-writable authorized_keys", []User{deploy(func(u *User) { u.Keys[0].Modes[0] = 0o664 })}, nil, false,
			"writable by group or others (mode 0664)"},
		{"world-writable home", []User{deploy(func(u *User) { u.Keys[0].Modes[2] = 0o777 })}, nil, false, "mode 0777"},
		{"key file owned by someone else", []User{deploy(func(u *User) { u.Keys[0].Owners[0] = 1001 })}, nil, false,
			"owned by uid 1001"},
		{"not a sudoer", []User{deploy(func(u *User) { u.CanSudo = false })}, nil, false, "cannot become root"},
		{"sudo needs a password the account lacks", []User{deploy(func(u *User) { u.SudoNeedsPassword = true })}, nil, false,
			"sudo asks for a password"},
		{"only a DSA key the new algorithms refuse", []User{deploy(func(u *User) { u.Keys[0].Keys[0].Type = "ssh-dss" })},
			nil, false, "line 1 is ssh-dss, which PubkeyAcceptedAlgorithms refuses"},
		{"ssh-rsa key signs with rsa-sha2", []User{deploy(func(u *User) { u.Keys[0].Keys[0] = Key{Line: 1, Type: "ssh-rsa", Bits: 3072} })},
			nil, true, "(ssh-rsa), sudo"},
		{"not in AllowUsers", []User{deploy(nil)}, func(p *Policy) { p.AllowUsers = []string{"alice"} }, false,
			"deploy: not in AllowUsers"},
		{"in AllowGroups through sudo", []User{deploy(nil)}, func(p *Policy) { p.AllowGroups = []string{"sudo"} }, true, "deploy"},
		{"denied group", []User{deploy(nil)}, func(p *Policy) { p.DenyGroups = []string{"sudo"} }, false, "denied by DenyGroups"},
		{"denied by a wildcard", []User{deploy(nil)}, func(p *Policy) { p.DenyUsers = []string{"dep*"} }, false,
			"deploy: denied by DenyUsers"},
		{"in AllowUsers by a wildcard", []User{deploy(nil)}, func(p *Policy) { p.AllowUsers = []string{"alice", "d?ploy"} }, true, "deploy"},
		{"AllowUsers USER@HOST, client unknown", []User{deploy(nil)}, func(p *Policy) { p.AllowUsers = []string{"deploy@10.0.0.0/8"} },
			true, "deploy"},
		{"in AllowGroups by a wildcard", []User{deploy(nil)}, func(p *Policy) { p.AllowGroups = []string{"su*"} }, true, "deploy"},
		{"PubkeyAuthentication off", []User{deploy(nil)}, func(p *Policy) { p.PubkeyOff = true }, false,
			"deploy: PubkeyAuthentication is off"},
		{"nologin shell is skipped", []User{deploy(func(u *User) { u.Shell = "/usr/sbin/nologin" })}, nil, false, ""},
		{"root with a key while root login is off", []User{{Name: "root", UID: 0, Shell: "/bin/bash",
			Keys: deploy(nil).Keys}}, nil, false, "root: root login is off"},
		{"root with a key, prohibit-password", []User{{Name: "root", UID: 0, Shell: "/bin/bash", Keys: []KeyFile{{
			Path: "/root/.ssh/authorized_keys", Keys: []Key{{Line: 1, Type: "ssh-ed25519"}},
			Modes: []fs.FileMode{0o600, 0o700, 0o700}, Owners: []int{0, 0, 0}}}}},
			func(p *Policy) { p.PermitRootLogin = "prohibit-password" }, true, "root login by key"},
		{"one good user among bad ones", []User{
			deploy(func(u *User) { u.Name = "alice"; u.Keys = nil }),
			deploy(nil),
		}, nil, true, "deploy with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := keyOnly
			if tt.policy != nil {
				tt.policy(&p)
			}
			v := Check(Facts{Users: tt.users}, p)
			if v.OK != tt.ok {
				t.Fatalf("OK = %v, want %v (way in %q, problems %q)", v.OK, tt.ok, v.WayIn, v.Problems)
			}
			text := v.WayIn
			if !tt.ok {
				text = strings.Join(v.Problems, "\n")
			}
			if !strings.Contains(text, tt.problem) {
				t.Errorf("got %q, want it to contain %q", text, tt.problem)
			}
		})
	}
}

// TestAllowUsersAtHost: AllowUsers USER@HOST admits the user only from
// addresses the host part matches.
func TestAllowUsersAtHost(t *testing.T) {
	p := keyOnly
	p.AllowUsers = []string{"deploy@10.0.0.0/8"}
	f := Facts{Users: []User{deploy(nil)}, Client: netip.MustParseAddr("203.0.113.7")}
	if v := Check(f, p); v.OK || !strings.Contains(strings.Join(v.Problems, "\n"), "deploy: not in AllowUsers") {
		t.Errorf("from 203.0.113.7: OK %v, problems %q; want refused, not in AllowUsers", v.OK, v.Problems)
	}
	f.Client = netip.MustParseAddr("10.1.2.3")
	if v := Check(f, p); !v.OK {
		t.Errorf("from 10.1.2.3: refused (%q)", v.Problems)
	}
}

// TestAdmitted lists every user a key-only sshd admits as an
// administrator, password login or not.
func TestAdmitted(t *testing.T) {
	alice := deploy(func(u *User) { u.Name = "alice"; u.Keys[0].Keys[0].NoPTY = true })
	nobody := deploy(func(u *User) { u.Name = "backup"; u.Keys[0].Keys[0].Forced = true })
	p := keyOnly
	p.PasswordLogin = true
	got := Admitted(Facts{Users: []User{deploy(nil), nobody, alice}}, p)
	var names []string
	for _, a := range got {
		names = append(names, a.String())
	}
	want := []string{"alice with /home/deploy/.ssh/authorized_keys (ssh-ed25519, no pty), sudo",
		"deploy with /home/deploy/.ssh/authorized_keys (ssh-ed25519), sudo"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("admitted:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}
