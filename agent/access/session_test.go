package access

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// proc is a process table for a test: /proc/PID/{stat,cmdline}, uptime
// and boot_id laid out as the kernel lays them out.
type proc struct {
	t   *testing.T
	dir string
}

func newProc(t *testing.T, uptime string) proc {
	p := proc{t, t.TempDir()}
	p.write("uptime", uptime+" 100.00\n")
	p.write("sys/kernel/random/boot_id", "boot-1\n")
	return p
}

func (p proc) write(name, text string) {
	full := filepath.Join(p.dir, name)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// add puts a process in the table; start is in seconds since boot.
func (p proc) add(pid, ppid int, comm, title string, start float64) {
	fields := []string{"S", fmt.Sprint(ppid)}
	for range 17 {
		fields = append(fields, "0")
	}
	fields = append(fields, fmt.Sprint(int64(start*100)), "0", "0")
	p.write(fmt.Sprintf("%d/stat", pid), fmt.Sprintf("%d (%s) %s\n", pid, comm, strings.Join(fields, " ")))
	p.write(fmt.Sprintf("%d/cmdline", pid), strings.ReplaceAll(title, " ", "\x00")+"\x00")
}

// login lays out harden run with sudo in an SSH login: the connection's
// privileged sshd (started at priv seconds), its user process, the shell.
func (p proc) login(parentOfPriv int, priv float64) {
	p.add(70, parentOfPriv, "sshd", "sshd: deploy [priv]", priv)
	p.add(80, 70, "sshd", "sshd: deploy@pts/0", priv+0.5)
	p.add(90, 80, "bash", "-bash", priv+1)
	p.add(95, 90, "sudo", "sudo harden confirm", priv+2)
	p.add(100, 95, "harden", "harden confirm", priv+2)
}

func (p proc) listener(start float64) {
	p.add(60, 1, "sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", start)
}

var applied = &BootTime{BootID: "boot-1", Since: 1050 * time.Second}

func pending() *Pending {
	return &Pending{Run: "RUN1", FinalPorts: []int{2222}, Applied: applied, Deadline: time.Now().Add(time.Minute)}
}

func origin(t *testing.T, p proc, env string) Origin {
	t.Helper()
	o, err := OriginOf(p.dir, 100, env)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

const sshEnv = "192.0.2.7 50000 192.0.2.1 2222"

func TestAConnectionMadeAfterTheApplyConfirms(t *testing.T) {
	p := newProc(t, "1200.00")
	p.listener(500)
	p.login(60, 1100)
	o := origin(t, p, sshEnv)
	if o.Conn == nil || o.Conn.PID != 70 {
		t.Fatalf("connection = %+v, want the privileged sshd 70 (not the listener, not the user's)", o.Conn)
	}
	if err := pending().CheckOrigin(o); err != nil {
		t.Errorf("new connection refused: %v", err)
	}
}

func TestAConnectionOlderThanTheApplyIsRefused(t *testing.T) {
	for name, lay := range map[string]func(p proc){
		"listener still there": func(p proc) { p.listener(500); p.login(60, 900) },
		// sshd restarted by the apply: the old connection's process now
		// hangs off init, and its user process started after the apply.
		"listener restarted": func(p proc) { p.listener(1040); p.login(1, 900); p.add(80, 70, "sshd", "sshd: deploy@pts/0", 1100) },
		"OpenSSH 10 sshd-session": func(p proc) {
			p.listener(500)
			p.login(60, 900)
			p.add(70, 60, "sshd-session", "sshd-session: deploy [priv]", 900)
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := newProc(t, "1200.00")
			lay(p)
			err := pending().CheckOrigin(origin(t, p, sshEnv))
			if err == nil {
				t.Fatal("a connection from before the apply confirmed it")
			}
			for _, want := range []string{"before run RUN1 finished applying", "Open a NEW SSH connection on port 2222",
				"harden confirm", "rolled back"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

// root logs in through one sshd process, titled root@notty.
func TestARootConnectionIsItsOwnSSHDProcess(t *testing.T) {
	p := newProc(t, "1200.00")
	p.listener(500)
	p.add(80, 60, "sshd", "sshd: root@notty", 1100)
	p.add(100, 80, "harden", "harden confirm", 1101)
	o := origin(t, p, "")
	if !o.SSH || o.Conn == nil || o.Conn.PID != 80 {
		t.Fatalf("origin = %+v, want the connection of sshd 80 (found without SSH_CONNECTION)", o)
	}
	if err := pending().CheckOrigin(o); err != nil {
		t.Error(err)
	}
}

func TestAConsoleConfirms(t *testing.T) {
	p := newProc(t, "1200.00")
	p.add(90, 1, "login", "/bin/login --", 10)
	p.add(100, 90, "harden", "harden confirm", 1100)
	o := origin(t, p, "")
	if o.SSH {
		t.Fatalf("console taken for SSH: %+v", o)
	}
	if err := pending().CheckOrigin(o); err != nil {
		t.Error(err)
	}
}

func TestAnSSHShellWithoutItsSSHDIsRefused(t *testing.T) {
	p := newProc(t, "1200.00")
	p.add(90, 1, "tmux: server", "tmux", 10)
	p.add(100, 90, "harden", "harden confirm", 1100)
	err := pending().CheckOrigin(origin(t, p, sshEnv))
	if err == nil || !strings.Contains(err.Error(), "tmux") || !strings.Contains(err.Error(), "NEW SSH connection") {
		t.Errorf("err = %v", err)
	}
}

func TestAConfirmBeforeTheApplyFinishedIsRefused(t *testing.T) {
	p := newProc(t, "1200.00")
	p.listener(500)
	p.login(60, 1100)
	unfinished := pending()
	unfinished.Applied = nil
	if err := unfinished.CheckOrigin(origin(t, p, sshEnv)); err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("err = %v", err)
	}
}

func TestAfterARebootEveryConnectionIsNew(t *testing.T) {
	p := newProc(t, "60.00")
	p.write("sys/kernel/random/boot_id", "boot-2\n")
	p.listener(5)
	p.login(60, 30)
	if err := pending().CheckOrigin(origin(t, p, sshEnv)); err != nil {
		t.Error(err)
	}
}

func TestProcessNamesWithSpacesAndParentheses(t *testing.T) {
	p := newProc(t, "1200.00")
	p.add(100, 42, "a) (b", "x", 12.34)
	got, err := readProcess(p.dir, 100)
	if err != nil || got.Comm != "a) (b" || got.PPID != 42 || got.Start != 12340*time.Millisecond {
		t.Errorf("readProcess = %+v, %v", got, err)
	}
}
