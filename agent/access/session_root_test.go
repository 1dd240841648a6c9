//go:build root

package access

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOriginHelper is what the root test runs over SSH: it prints the
// origin harden would see for a confirm run there.
func TestOriginHelper(t *testing.T) {
	if os.Getenv("HARDEN_ORIGIN_HELPER") == "" {
		t.Skip("run over SSH by TestConfirmNeedsAConnectionMadeAfterTheApply")
	}
	o, err := OriginOf("/proc", os.Getpid(), os.Getenv("SSH_CONNECTION"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(o)
	fmt.Printf("ORIGIN:%s\n", data)
}

// A real sshd on the loopback, real ssh connections: one made before the
// apply's end (held open across it) is refused, one made after is let
// through.
func TestConfirmNeedsAConnectionMadeAfterTheApply(t *testing.T) {
	for _, bin := range []string{"sshd", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install openssh-server openssh-client)", bin)
		}
	}
	ssh := startSSHD(t)
	defer func() {
		if t.Failed() {
			t.Logf("sshd said:\n%s", sshdLog.String())
		}
	}()
	old := exec.Command("ssh", append(ssh, "echo ready; read go; HARDEN_ORIGIN_HELPER=1 "+helperCommand(t))...)
	stdin, _ := old.StdinPipe()
	stdout, _ := old.StdoutPipe()
	var stderr strings.Builder
	old.Stderr = &stderr
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		_ = old.Wait()
		t.Fatalf("old connection did not come up: %q, ssh says: %s", lines.Text(), stderr.String())
	}
	time.Sleep(50 * time.Millisecond)
	mark, err := Now("/proc")
	if err != nil {
		t.Fatal(err)
	}
	p := &Pending{Run: "RUN1", Applied: &mark, Deadline: time.Now().Add(time.Minute)}
	time.Sleep(50 * time.Millisecond)

	fmt.Fprintln(stdin, "go")
	oldOrigin := readOrigin(t, lines)
	_ = old.Wait()
	if err := p.CheckOrigin(oldOrigin); err == nil || !strings.Contains(err.Error(), "before run RUN1 finished applying") {
		t.Errorf("confirm over a connection made before the apply's end: err = %v (origin %+v)", err, oldOrigin)
	}

	out, err := exec.Command("ssh", append(ssh, "HARDEN_ORIGIN_HELPER=1 "+helperCommand(t))...).Output()
	if err != nil {
		t.Fatalf("new connection: %v", err)
	}
	newOrigin := readOrigin(t, bufio.NewScanner(strings.NewReader(string(out))))
	if err := p.CheckOrigin(newOrigin); err != nil {
		t.Errorf("confirm over a connection made after the apply: %v (origin %+v)", err, newOrigin)
	}
	if !newOrigin.SSH || newOrigin.Conn == nil || newOrigin.Conn.Listener {
		t.Errorf("new connection's origin = %+v, want its own sshd process", newOrigin)
	}
}

func helperCommand(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe + " -test.run '^TestOriginHelper$' -test.v"
}

func readOrigin(t *testing.T, lines *bufio.Scanner) Origin {
	t.Helper()
	for lines.Scan() {
		if data, ok := strings.CutPrefix(lines.Text(), "ORIGIN:"); ok {
			var o Origin
			if err := json.Unmarshal([]byte(data), &o); err != nil {
				t.Fatal(err)
			}
			return o
		}
	}
	t.Fatal("the helper printed no origin")
	return Origin{}
}

// sshdLog is what the test's sshd said, for a failure's message.
var sshdLog syncBuffer

// startSSHD runs sshd on a free loopback port with keys of its own and
// returns the ssh arguments that log in there as root.
func startSSHD(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// UsePAM: without PAM, sshd takes a root with no usable password
	// field (as build machines often have) for a locked account.
	config := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host\nAuthorizedKeysFile %s/authorized_keys\n"+
		"PermitRootLogin prohibit-password\nStrictModes no\nUsePAM yes\nPidFile none\n", port, dir, dir)
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		t.Fatal(err)
	}
	// sshd wants its absolute path (it re-executes itself per connection).
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.Stderr = &sshdLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sshd did not come up")
		}
	}
	return []string{"-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-i", filepath.Join(dir, "client"), "-p", fmt.Sprint(port), "root@127.0.0.1"}
}

// syncBuffer is a strings.Builder safe for a process's writes and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
