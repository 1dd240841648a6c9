package sshd

import (
	"strings"
	"testing"
)

func TestLockoutGuard(t *testing.T) {
	noKeys := operatorFiles()
	delete(noKeys, "/home/deploy/.ssh/authorized_keys")
	notSudo := operatorFiles()
	notSudo["/etc/sudoers"] = "# nothing\n"
	tests := []struct {
		name    string
		profile string
		files   map[string]string
		err     string // "" when the plan must go through
		warning string
	}{
		{"operator with key and sudo", "sshd {}", operatorFiles(), "", ""},
		{"operator without authorized_keys", "sshd {}", noKeys,
			"deploy: no authorized_keys file; root: root login is off", ""},
		{"operator without sudo", "sshd {}", notSudo, "deploy: cannot become root", ""},
		{"operator not in allow_users", `sshd { allow_users = ["alice"] }`, operatorFiles(),
			"deploy: not in AllowUsers", ""},
		{"override turns the refusal into a warning", "sshd {\n allow_lockout = true\n}", noKeys, "",
			"allow_lockout = true: lockout guard: after this change nobody could log in"},
		{"password login kept: no guard", "sshd {\n password_authentication = true\n authentication_methods = null\n permit_root_login = \"prohibit-password\"\n}",
			noKeys, "", ""},
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
			if tt.err == "" {
				if err != nil {
					t.Fatalf("plan refused: %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "Fix:") {
				t.Fatalf("err = %v, want it to contain %q and a fix", err, tt.err)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(p.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q lack %q", p.Warnings, tt.warning)
			}
		})
	}
}
