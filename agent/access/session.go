package access

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A confirm proves something only if it arrives over an SSH connection
// made after the apply finished: the session that ran the apply (or any
// session older than the change) was let in by the old settings and says
// nothing about the new ones. The age of a connection is the start time of
// its own sshd process, found among harden's ancestors as sudo leaves them.

// clockTick is the unit of start times in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture harden runs on.
const clockTick = 10 * time.Millisecond

// BootTime is a moment on one boot's clock (CLOCK_BOOTTIME, which the
// kernel also measures process start times against): unlike wall time, it
// does not jump when NTP steps the clock.
type BootTime struct {
	BootID string        `json:"boot_id"`
	Since  time.Duration `json:"since_boot"`
}

// Now reads the boot clock from a proc directory (/proc).
func Now(proc string) (BootTime, error) {
	id, err := os.ReadFile(filepath.Join(proc, "sys/kernel/random/boot_id"))
	if err != nil {
		return BootTime{}, fmt.Errorf("boot id: %w", err)
	}
	up, err := os.ReadFile(filepath.Join(proc, "uptime"))
	if err != nil {
		return BootTime{}, fmt.Errorf("uptime: %w", err)
	}
	f := strings.Fields(string(up))
	if len(f) == 0 {
		return BootTime{}, fmt.Errorf("uptime: empty")
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return BootTime{}, fmt.Errorf("uptime: %w", err)
	}
	return BootTime{BootID: strings.TrimSpace(string(id)), Since: time.Duration(secs * float64(time.Second))}, nil
}

// Origin is where a command comes from: a console, or an SSH connection.
type Origin struct {
	// SSH: the command runs in an SSH login (SSH_CONNECTION is set here or
	// in an ancestor's environment, or an sshd process is an ancestor).
	SSH bool
	// Conn is the connection's oldest sshd process (not the listener);
	// nil when SSH is set but no sshd process is among the ancestors
	// (a shell inside tmux or screen, reparented away from its login).
	Conn *Process
	Now  BootTime
}

// Process is one entry of the process table.
type Process struct {
	PID, PPID int
	Comm      string
	Start     time.Duration // since boot
	Listener  bool          // sshd's listener, not a connection of its own
}

// OriginOf walks from pid up through its ancestors under a proc directory.
// sshEnv is SSH_CONNECTION as harden sees it (through sudo too).
func OriginOf(proc string, pid int, sshEnv string) (Origin, error) {
	now, err := Now(proc)
	if err != nil {
		return Origin{}, err
	}
	o := Origin{SSH: sshEnv != "", Now: now}
	for depth := 0; pid > 1 && depth < 64; depth++ {
		p, err := readProcess(proc, pid)
		if err != nil {
			break // gone, or not ours to read: the walk ends here
		}
		if isSSHD(p.Comm) && !p.Listener {
			o.SSH, o.Conn = true, &p // keep walking: the oldest wins
		}
		pid = p.PPID
	}
	return o, nil
}

// isSSHD is an sshd process: "sshd" itself, or "sshd-session", the
// per-connection program of OpenSSH 9.8 and later.
func isSSHD(comm string) bool { return comm == "sshd" || comm == "sshd-session" }

// readProcess reads /proc/PID/stat (the command name may hold spaces and
// parentheses: the fields start after the last ')') and, for sshd, the
// process title, where the listener calls itself "[listener]".
func readProcess(proc string, pid int) (Process, error) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	data, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Process{}, err
	}
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return Process{}, fmt.Errorf("%s/stat: no command name", dir)
	}
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 20 {
		return Process{}, fmt.Errorf("%s/stat: %d fields", dir, len(f))
	}
	p := Process{PID: pid, Comm: string(data[open+1 : end])}
	if p.PPID, err = strconv.Atoi(f[1]); err != nil {
		return Process{}, fmt.Errorf("%s/stat: ppid: %w", dir, err)
	}
	ticks, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return Process{}, fmt.Errorf("%s/stat: starttime: %w", dir, err)
	}
	p.Start = time.Duration(ticks) * clockTick
	if isSSHD(p.Comm) {
		title, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		p.Listener = bytes.Contains(title, []byte("[listener]"))
	}
	return p, nil
}

// CheckOrigin refuses a confirm that does not show that the new settings
// let someone in: one from an SSH connection older than the end of the
// apply, one from a shell whose connection cannot be found, and any before
// the apply finished. A console (no SSH at all) may confirm: whoever sits
// there has a way in that the change cannot cut.
func (p *Pending) CheckOrigin(o Origin) error {
	if !o.SSH {
		return nil
	}
	if p.Applied == nil {
		return fmt.Errorf("run %s has not finished applying (an apply cut off is rolled back at %s, or now "+
			"with `harden rollback %s`)", p.Run, clock(p.Deadline), p.Run)
	}
	if o.Conn == nil {
		return fmt.Errorf("this shell comes from an SSH login (SSH_CONNECTION is set) but no sshd process is among "+
			"its ancestors (tmux or screen?), so harden cannot tell when its connection was made: %s", p.newSession())
	}
	if o.Now.BootID != p.Applied.BootID {
		return nil // the machine rebooted since the apply: every connection is new
	}
	if o.Conn.Start <= p.Applied.Since {
		opened := time.Now().Add(o.Conn.Start - o.Now.Since)
		finished := time.Now().Add(p.Applied.Since - o.Now.Since)
		return fmt.Errorf("this SSH connection was made at %s, before run %s finished applying at %s: the old "+
			"settings let it in, so it proves nothing about the new ones. %s",
			clock(opened), p.Run, clock(finished), p.newSession())
	}
	return nil
}

// newSession says what to do instead, and what happens otherwise.
func (p *Pending) newSession() string {
	on := ""
	if len(p.FinalPorts) > 0 {
		on = " on port " + JoinPorts(p.FinalPorts)
	}
	return fmt.Sprintf("Open a NEW SSH connection%s (ssh -p PORT user@host, not a shell of an existing one) and run "+
		"`harden confirm` there before %s; otherwise run %s is rolled back then", on, clock(p.Deadline), p.Run)
}

func clock(t time.Time) string { return t.Local().Format("15:04:05 MST") }

// JoinPorts lists ports for a message: "22, 2222".
func JoinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}

// SessionPort is the server port of an SSH_CONNECTION value
// ("client_ip client_port server_ip server_port").
func SessionPort(conn string) (int, bool) {
	f := strings.Fields(conn)
	if len(f) != 4 {
		return 0, false
	}
	port, err := strconv.Atoi(f[3])
	return port, err == nil
}

// Admit decides whether a confirm may keep the pending run: it must come
// over a new connection (CheckOrigin) and, after a port move, over one of
// the new ports (force waives only the port: a NAT in front of the machine
// may show another one).
func (p *Pending) Admit(o Origin, sshEnv string, force bool) error {
	if err := p.CheckOrigin(o); err != nil {
		return err
	}
	port, onSSH := SessionPort(sshEnv)
	if !onSSH || len(p.FinalPorts) == 0 || slices.Contains(p.FinalPorts, port) || force {
		return nil
	}
	to := JoinPorts(p.FinalPorts)
	return fmt.Errorf("this session came in on port %d, not on the new port %s: open a new session on %s "+
		"and confirm there (or -force)", port, to, to)
}
