//go:build root

package lockout

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Root tier: the real sshd judges each authorized_keys line, and the
// guard must agree with it. A throwaway sshd listens on 127.0.0.1; for
// every line the test logs in as root with the matching key and asks for a
// shell command. Run: go test -tags root ./modules/lockout/ (as root).
func TestGuardAgreesWithSshd(t *testing.T) {
	dir := realSshd(t)
	pub, err := os.ReadFile(filepath.Join(dir, "id_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(pub))
	lines := []string{
		"%s",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA-truncated",
		`command="echo forced",restrict %s`,
		`command="echo \"forced\"" %s`,
		"restrict %s",
		"no-pty,no-port-forwarding %s",
		"NO-PTY %s",
		"restrict,pty %s",
		`from="10.0.0.0/8" %s`,
		`from="127.0.0.0/8" %s`,
		`from="*,!127.0.0.1" %s`,
		`from="127.0.0.*" %s`,
		`from="127.0.0.1/8" %s`,
		`from="localhost" %s`,
		`expiry-time="20200101" %s`,
		`expiry-time="29991231Z" %s`,
		`expiry-time="2020" %s`,
		`frm="10.0.0.1" %s`,
		`environment="A-B=1" %s`,
		`permitopen="nohost" %s`,
		`permitopen="localhost:80" %s`,
		`tunnel="x" %s`,
		"cert-authority %s",
		strings.Replace(key, "ssh-ed25519", "ssh-rsa", 1),
	}
	f := Facts{Client: netip.MustParseAddr("127.0.0.1"), Now: time.Now()}
	for _, pattern := range lines {
		line := pattern
		if strings.Contains(pattern, "%s") {
			line = fmt.Sprintf(pattern, key)
		}
		t.Run(line[:min(len(line), 40)], func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(line+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			sshdShell := loginGivesShell(t, dir)
			keys := parseKeys([]byte(line+"\n"), time.Local)
			problem := keys[0].problem(f, keyOnly)
			if sshdShell != (problem == "") {
				t.Errorf("%s\nsshd gives a shell: %v; the guard says %q", line, sshdShell, problem)
			}
		})
	}
}

// loginGivesShell logs in as root with the test key and runs a command of
// its own choosing: a shell ran it when its output comes back.
func loginGivesShell(t *testing.T, dir string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "ssh", "-F", "/dev/null", "-i", filepath.Join(dir, "id_ed25519"),
		"-p", readPort(t, dir), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@127.0.0.1", "echo", "shell-ok").Output()
	return strings.TrimSpace(string(out)) == "shell-ok"
}

func readPort(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "port"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// realSshd starts sshd on a free port of 127.0.0.1 reading
// DIR/authorized_keys for every user, and a client key in DIR.
func realSshd(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("root tier: needs root (sshd runs as root)")
	}
	for _, bin := range []string{"/usr/sbin/sshd", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("root tier: %s not installed (apt-get install openssh-server openssh-client)", bin)
		}
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, k := range []string{"hostkey", "id_ed25519"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	if err := os.WriteFile(filepath.Join(dir, "port"), []byte(port), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "sshd_config")
	// UsePAM: without PAM, sshd takes a root whose shadow entry has no
	// usable password (as a fresh machine's often has) for a locked account.
	text := strings.Join([]string{"Port " + port, "ListenAddress 127.0.0.1", "HostKey " + filepath.Join(dir, "hostkey"),
		"PidFile none", "AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"), "StrictModes no",
		"PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"UsePAM yes", "UseDNS no"}, "\n") + "\n"
	// Newer sshd penalizes addresses that fail to log in: the test fails
	// many logins on purpose. sshd -t says whether it knows the keyword.
	if err := os.WriteFile(config, []byte(text+"PerSourcePenalties no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if exec.Command("/usr/sbin/sshd", "-t", "-f", config).Run() != nil {
		if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", config)
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return dir
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on %s:\n%s", port, log.String())
		}
	}
}
