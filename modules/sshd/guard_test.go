package sshd

import (
	"strings"
	"testing"
)

// forcedCommandKey is a backup key: it logs in, but runs rrsync only.
const forcedCommandKey = `command="/usr/bin/rrsync -ro /backup",restrict ` +
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJw1i/HpSbwP66VcN5SirnFOLOZ/PIQikwe8UTrCRjVC backup@nas\n"

func TestLockoutGuard(t *testing.T) {
	noKeys := operatorFiles()
	delete(noKeys, "/home/deploy/.ssh/authorized_keys")
	notSudo := operatorFiles()
	notSudo["/etc/sudoers"] = "# nothing\n"
	truncated := operatorFiles()
	truncated["/home/deploy/.ssh/authorized_keys"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA-truncated deploy@laptop\n"
	forced := operatorFiles()
	forced["/home/deploy/.ssh/authorized_keys"] = forcedCommandKey
	tests := []struct {
		name    string
		profile string
		files   map[string]string
		err     []string // substrings of the refusal; nil when the plan must go through
		warning []string // substrings of the warnings
		never   string   // a substring neither the refusal nor the warnings may hold
	}{
		{name: "operator with key and sudo", profile: "sshd {}", files: operatorFiles()},
		{name: "operator without authorized_keys", profile: "sshd {}", files: noKeys,
			err: []string{"\n    deploy: no authorized_keys file\n    root: root login is off; no authorized_keys file\nFix: "}},
		{name: "operator in the sudo group, but no sudoers rule for it", profile: "sshd {}", files: notSudo,
			err: []string{"deploy: cannot become root: in the sudo group, but no sudoers rule grants %sudo"}},
		{name: "operator not in allow_users", profile: `sshd { allow_users = ["alice"] }`, files: operatorFiles(),
			err: []string{"deploy: not in AllowUsers"}},
		{name: "every reason of a user", profile: `sshd { allow_users = ["alice"] }`, files: notSudo,
			err: []string{"deploy: not in AllowUsers; cannot become root: in the sudo group, but no sudoers rule grants %sudo\n"}},
		{name: "truncated key", profile: "sshd {}", files: truncated,
			err: []string{"deploy: /home/deploy/.ssh/authorized_keys: line 1 is not a key sshd can read"}},
		{name: "forced-command key", profile: "sshd {}", files: forced,
			err: []string{`line 1 runs only the forced command "/usr/bin/rrsync -ro /backup" (command=): no shell`}},
		{name: "the refusal offers the override", profile: "sshd {}", files: noKeys,
			err: []string{"set allow_lockout = true in the sshd block"}},
		{name: "allow_lockout = true turns the refusal into a warning", profile: "sshd {\n allow_lockout = true\n}",
			files: noKeys, warning: []string{"allow_lockout = true overrides the lockout guard: after this change " +
				"nobody could log in with a key and become root:\n    deploy: no authorized_keys file"},
			never: "set allow_lockout"},
		{name: "password login kept: no guard", profile: "sshd {\n password_authentication = true\n authentication_methods = null\n permit_root_login = \"prohibit-password\"\n}",
			files: noKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := stockFiles(t)
			for k, v := range tt.files {
				files[k] = v
			}
			h, _ := newRoot(t, files)
			m := New()
			if d := decodeSrc(t, m, tt.profile); d != "" {
				t.Fatal(d)
			}
			p, err := m.Plan(readState(t, m, h))
			if tt.err == nil && err != nil {
				t.Fatalf("plan refused: %v", err)
			}
			var text string
			if tt.err != nil {
				if err == nil {
					t.Fatalf("plan went through, want a refusal holding %q", tt.err)
				}
				text = err.Error()
				tt.err = append(tt.err, "Fix:")
			}
			for _, want := range tt.err {
				if !strings.Contains(text, want) {
					t.Errorf("refusal:\n%s\nwant it to contain %q", text, want)
				}
			}
			warnings := strings.Join(p.Warnings, "\n")
			for _, want := range tt.warning {
				if !strings.Contains(warnings, want) {
					t.Errorf("warnings:\n%s\nwant them to contain %q", warnings, want)
				}
			}
			if tt.never != "" && strings.Contains(text+warnings, tt.never) {
				t.Errorf("refusal or warnings hold %q:\n%s%s", tt.never, text, warnings)
			}
		})
	}
}

// The operator who runs harden through sudo must get back in, not only
// somebody: another administrator's key does not save a password-only
// operator.
func TestLockoutGuardKeepsTheOperator(t *testing.T) {
	files := stockFiles(t)
	for k, v := range operatorFiles() {
		files[k] = v
	}
	files["/etc/passwd"] += "bob:x:1001:1001::/home/bob:/bin/bash\n"
	files["/etc/group"] = strings.Replace(files["/etc/group"], "sudo:x:27:deploy", "sudo:x:27:deploy,bob", 1) + "bob:x:1001:\n"
	h, _ := newRoot(t, files)
	m := New()
	st := readState(t, m, h)
	st.Guard.Operator = "bob"
	_, err := m.Plan(st)
	if err == nil || !strings.Contains(err.Error(), "you run harden as bob (through sudo), and after this change bob could "+
		"not log in with a key and become root:\n    bob: not in AllowUsers; no authorized_keys file") {
		t.Fatalf("want the guard to refuse for bob, got %v", err)
	}
	st.Guard.Operator = "deploy"
	if _, err := m.Plan(st); err != nil {
		t.Errorf("deploy keeps a way in, the plan is refused: %v", err)
	}
}
