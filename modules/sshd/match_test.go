package sshd

import (
	"strings"
	"testing"
)

func TestMatchConnections(t *testing.T) {
	if got := matchConnections(map[string]string{configPath: "PermitRootLogin no\n"}); got != nil {
		t.Errorf("no Match block: want no sshd runs, got %v", got)
	}
	files := map[string]string{
		configPath:                      "PermitRootLogin no\nMatch User alice,bo*,!carol Address 10.1.2.0/24\n  PasswordAuthentication yes\n",
		"/etc/ssh/sshd_config.d/x.conf": "Match Address 192.0.2.9\n  PermitRootLogin yes\n",
	}
	got := matchConnections(files)
	var specs []string
	for _, c := range got {
		specs = append(specs, c.user+"@"+c.addr)
	}
	// Map order of files must not matter: check the set.
	for _, want := range []string{"root@203.0.113.7", "root@10.1.2.0", "root@192.0.2.9", "alice@203.0.113.7",
		"alice@10.1.2.0", "harden-probe@203.0.113.7"} {
		if !strings.Contains(strings.Join(specs, " "), want) {
			t.Errorf("connections %v lack %s", specs, want)
		}
	}
	if len(got) > maxMatchProbes {
		t.Errorf("%d sshd runs, at most %d", len(got), maxMatchProbes)
	}
	for _, s := range specs {
		if strings.HasPrefix(s, "bo") || strings.HasPrefix(s, "carol") || strings.HasPrefix(s, "!") {
			t.Errorf("a pattern is not a user: %s", s)
		}
	}
}

func TestWeaker(t *testing.T) {
	for _, tt := range []struct {
		key, want, got string
		weaker         bool
	}{
		{"permitrootlogin", "no", "yes", true},
		{"permitrootlogin", "no", "prohibit-password", true},
		{"permitrootlogin", "prohibit-password", "no", false},
		{"permitrootlogin", "prohibit-password", "without-password", false},
		{"passwordauthentication", "no", "yes", true},
		{"passwordauthentication", "no", "no", false},
		{"authenticationmethods", "publickey", "any", true},
		{"authenticationmethods", "publickey", "publickey,password", true},
		{"authenticationmethods", "publickey", "publickey,publickey", false},
		{"allowtcpforwarding", "no", "local", true},
	} {
		if got := weaker(tt.key, tt.want, tt.got); got != tt.weaker {
			t.Errorf("weaker(%s, %s, %s) = %v", tt.key, tt.want, tt.got, got)
		}
	}
}

func TestWeakerForNamesTheMatchLine(t *testing.T) {
	m := New()
	occ := []occurrence{{path: configPath, line: 40, keyword: "permitrootlogin", value: "yes", match: true}}
	dump := map[string][]string{"permitrootlogin": {"yes"}, "passwordauthentication": {"no"}}
	risks := m.weakerFor(connection{"root", unknownAddr}, dump, occ)
	if len(risks) != 1 || risks[0].Address != "sshd.match[PermitRootLogin]" ||
		!strings.Contains(risks[0].Message, "/etc/ssh/sshd_config:40") {
		t.Fatalf("risks = %+v", risks)
	}
	// Root login concerns root alone.
	if r := m.weakerFor(connection{"alice", unknownAddr}, dump, occ); len(r) != 0 {
		t.Errorf("PermitRootLogin is not alice's: %+v", r)
	}
}

// AllowUsers that keeps root out leaves a Match's PermitRootLogin moot: no
// risk to report. Root among the admitted users is one.
func TestWeakerForHonoursAllowUsers(t *testing.T) {
	m := New()
	root := connection{"root", unknownAddr}
	dump := map[string][]string{"permitrootlogin": {"yes"}, "allowusers": {"deploy"}}
	if r := m.weakerFor(root, dump, nil); len(r) != 0 {
		t.Errorf("root is not admitted, yet: %+v", r)
	}
	dump["allowusers"] = []string{"deploy root@203.0.113.*"}
	if r := m.weakerFor(root, dump, nil); len(r) != 1 {
		t.Errorf("root admitted from this address, want one risk: %+v", r)
	}
}
