package lockout

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host/hosttest"
)

func write(t *testing.T, root, p, content string, mode os.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

func TestReadFacts(t *testing.T) {
	h, _ := hosttest.New(t)
	root := h.Root()
	// Key files must be owned by their user: as root the test chowns them
	// to 1000; otherwise the accounts take the test's own uid.
	uid := os.Getuid()
	if uid == 0 {
		uid = 1000
	}
	write(t, root, "/etc/passwd", fmt.Sprintf(
		"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"+
			"deploy:x:%d:1000::/home/deploy:/bin/bash\nalice:x:%d:1001::/home/alice:/bin/bash\n", uid, uid), 0o644)
	write(t, root, "/etc/group", "root:x:0:\nsudo:x:27:deploy\ndeploy:x:1000:\nalice:x:1001:\nnogroup:x:65534:\n", 0o644)
	write(t, root, "/etc/shadow", "root:*:1::::::\ndeploy:!:1::::::\nalice:$y$hash:1::::::\n", 0o640)
	write(t, root, "/etc/sudoers", "Defaults env_reset\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", 0o440)
	write(t, root, "/etc/sudoers.d/alice", "alice ALL=(ALL) NOPASSWD: ALL\n", 0o440)
	write(t, root, "/etc/sudoers.d/README.disabled", "deploy ALL=(ALL) NOPASSWD: ALL\n", 0o440)
	write(t, root, "/home/deploy/.ssh/authorized_keys",
		"# comment\nfrom=\"10.0.0.1\",no-pty "+edKey(2)+"\n"+rsaKey(2048)+"\n", 0o600)
	_ = os.Chmod(filepath.Join(root, "/home/deploy/.ssh"), 0o700)
	write(t, root, "/home/alice/.ssh/authorized_keys", "", 0o644)
	if os.Getuid() == 0 {
		for _, p := range []string{"/home/deploy", "/home/deploy/.ssh", "/home/deploy/.ssh/authorized_keys",
			"/home/alice", "/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"} {
			if err := os.Chown(filepath.Join(root, p), uid, uid); err != nil {
				t.Fatal(err)
			}
		}
	}

	f, err := Read(h, []string{".ssh/authorized_keys", "%h/.ssh/authorized_keys2"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]User{}
	for _, u := range f.Users {
		got[u.Name] = u
	}
	if _, ok := got["nobody"]; ok {
		t.Error("nologin account read as a possible operator")
	}
	d := got["deploy"]
	if !d.CanSudo || !d.SudoNeedsPassword {
		t.Errorf("deploy: sudo %v, needs a password it lacks %v; want true, true", d.CanSudo, d.SudoNeedsPassword)
	}
	if len(d.Keys) != 1 || len(d.Keys[0].Keys) != 2 {
		t.Fatalf("deploy keys = %+v", d.Keys)
	}
	wantKeys := []Key{{Line: 2, Type: "ssh-ed25519", From: "10.0.0.1", NoPTY: true}, {Line: 3, Type: "ssh-rsa", Bits: 2048}}
	for i, k := range d.Keys[0].Keys {
		if k != wantKeys[i] {
			t.Errorf("deploy key %d = %+v, want %+v", i, k, wantKeys[i])
		}
	}
	if len(d.Keys[0].Modes) != 3 || d.Keys[0].Modes[0].Perm() != 0o600 || d.Keys[0].Modes[1].Perm() != 0o700 {
		t.Errorf("deploy key modes = %v (file, .ssh, home)", d.Keys[0].Modes)
	}
	a := got["alice"]
	if !a.CanSudo || a.SudoNeedsPassword {
		t.Errorf("alice: sudo %v needs password %v; want NOPASSWD sudo", a.CanSudo, a.SudoNeedsPassword)
	}
	// deploy has keys but no password for sudo; alice has sudo but an empty
	// key file: nobody keeps a way in, and the problems say why.
	v := Check(f, keyOnly)
	if v.OK {
		t.Fatalf("want a lockout, got way in %q", v.WayIn)
	}
	want := []string{"alice: " + filepath.Join("/home/alice/.ssh/authorized_keys") + " holds no key",
		"deploy: sudo asks for a password the account does not have"}
	for _, w := range want {
		if !strings.Contains(strings.Join(v.Problems, "\n"), w) {
			t.Errorf("problems %q lack %q", v.Problems, w)
		}
	}
}
