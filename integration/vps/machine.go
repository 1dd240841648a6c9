package vps

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Machine is one booted fresh VPS.
type Machine struct {
	t        testing.TB
	h        *Harness
	Name     string
	Dir      string // its root filesystem on the host
	Addr     string // its address on the veth link (10.231.N.2)
	HostAddr string // the host's end (10.231.N.1)
	// Port is where Sudo and SSH connect; a test that moves sshd updates it.
	Port int

	mu      sync.Mutex
	history []Result // operator commands (Sudo), reported on failure

	nspawn  *exec.Cmd
	exited  chan struct{}
	pid1    int
	console string
}

// Options change how a machine is prepared.
type Options struct {
	// NoHarden leaves the harden binary out (harness self-tests).
	NoHarden bool
	// Prepare, if set, runs on the machine's fresh tree (m.Dir) after the
	// harness has written its own parts and before the machine starts, so
	// a scenario can shape the first boot: install packages into the tree
	// (InstallPackages), write a cloud-init seed, listen on the host's end
	// of the link (ListenHost). m.Addr and m.HostAddr are set; nothing runs
	// yet, so Exec, SSH and Banner do not work in it.
	Prepare func(m *Machine) error
	// SSHPort is where sshd answers once the boot has finished; Boot waits
	// for it there and sets m.Port to it. Default 22; a first boot that
	// applies a profile (cloud-init) may end with sshd elsewhere.
	SSHPort int
}

// BootLimit bounds the wait for systemd to report the boot finished. The
// boot includes everything multi-user.target pulls in, such as cloud-init's
// final stage installing packages and applying a profile; a plain machine
// is up in about a second.
const BootLimit = 3 * time.Minute

// Boot unpacks a fresh copy of the image, runs opts.Prepare on it, boots it
// and waits until systemd reports the boot finished and sshd answers on
// opts.SSHPort. Everything is undone when the test ends, pass or fail; on
// failure the journal tail is logged first.
func Boot(t testing.TB, opts Options) *Machine {
	t.Helper()
	h := Shared(t)
	var harden string
	if !opts.NoHarden {
		harden = h.Harden(t)
	}
	h.slots <- struct{}{}
	t.Cleanup(func() { <-h.slots })
	sl, err := acquireSlot()
	if err != nil {
		t.Fatalf("vps: %v", err)
	}
	t.Cleanup(sl.unlock)

	m := &Machine{t: t, h: h, Name: machineName(sl.n), Port: 22,
		Addr: fmt.Sprintf("10.231.%d.2", sl.n), HostAddr: fmt.Sprintf("10.231.%d.1", sl.n),
		console: filepath.Join(t.TempDir(), "console.log")}
	if err := os.MkdirAll(machinesDir(), 0o755); err != nil {
		t.Fatalf("vps: %v", err)
	}
	if m.Dir, err = os.MkdirTemp(machinesDir(), m.Name+"-"); err != nil {
		t.Fatalf("vps: %v", err)
	}
	t.Cleanup(func() {
		// systemd-nspawn leaves a lock file beside the tree.
		lock := filepath.Join(filepath.Dir(m.Dir), ".#"+filepath.Base(m.Dir)+".lck")
		for _, p := range []string{m.Dir, lock} {
			if err := os.RemoveAll(p); err != nil {
				t.Errorf("vps: remove %s: %v", p, err)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	if err := Unpack(ctx, h.Image, m.Dir); err != nil {
		t.Fatalf("vps: unpack image: %v", err)
	}
	unpacked := time.Since(start)
	if err := m.prepare(harden); err != nil {
		t.Fatalf("vps: prepare %s: %v", m.Name, err)
	}
	steps := fmt.Sprintf("unpacked in %s", unpacked.Round(time.Millisecond))
	if opts.Prepare != nil {
		if err := opts.Prepare(m); err != nil {
			t.Fatalf("vps: prepare %s: %v", m.Name, err)
		}
		steps += fmt.Sprintf(", prepared in %s", (time.Since(start) - unpacked).Round(time.Millisecond))
	}
	booting := time.Now()
	if err := m.start(); err != nil {
		t.Fatalf("vps: start %s: %v", m.Name, err)
	}
	t.Cleanup(m.stop)
	if err := m.waitBooted(BootLimit); err != nil {
		t.Fatalf("vps: boot %s: %v", m.Name, err)
	}
	if opts.SSHPort != 0 {
		m.Port = opts.SSHPort
	}
	if err := m.WaitSSH(m.Port, 30*time.Second); err != nil {
		t.Fatalf("vps: sshd on %s port %d: %v", m.Name, m.Port, err)
	}
	t.Logf("vps %s at %s: %s, booted in %s, ready in %s", m.Name, m.Addr, steps,
		time.Since(booting).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return m
}

// prepare writes what is particular to this machine into its fresh tree:
// its address, the operator's key, the harden binary.
func (m *Machine) prepare(harden string) error {
	network := fmt.Sprintf("[Match]\nName=host0\n\n[Network]\nAddress=%s/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n", m.Addr)
	if err := os.WriteFile(m.path("/etc/systemd/network/10-host0.network"), []byte(network), 0o644); err != nil {
		return err
	}
	uid, gid, home, err := m.lookupUser(DeployUser)
	if err != nil {
		return err
	}
	key := []byte(m.h.Key.Public + "\n")
	// Root gets the key too, as many providers do: stock Debian allows root
	// key logins (prohibit-password), so "root login refused" means something.
	for _, u := range []struct {
		home     string
		uid, gid int
	}{{home, uid, gid}, {"/root", 0, 0}} {
		dir := m.path(u.home + "/.ssh")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), key, 0o600); err != nil {
			return err
		}
		for _, p := range []string{dir, filepath.Join(dir, "authorized_keys")} {
			if err := os.Chown(p, u.uid, u.gid); err != nil {
				return err
			}
		}
	}
	if harden != "" {
		data, err := os.ReadFile(harden)
		if err != nil {
			return err
		}
		if err := os.WriteFile(m.path("/usr/local/bin/harden"), data, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// lookupUser reads a user from the machine's /etc/passwd.
func (m *Machine) lookupUser(name string) (uid, gid int, home string, err error) {
	f, err := os.Open(m.path("/etc/passwd"))
	if err != nil {
		return 0, 0, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 6 && f[0] == name {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			return uid, gid, f[5], nil
		}
	}
	return 0, 0, "", fmt.Errorf("no user %s in the image", name)
}

// path maps a path inside the machine to the host.
func (m *Machine) path(p string) string { return filepath.Join(m.Dir, p) }

// start boots the tree. The host runs no systemd, so the machine is not
// registered and keeps the caller's cgroup; --network-veth gives it its own
// network namespace, so its sshd and nft never touch the host's.
func (m *Machine) start() error {
	console, err := os.Create(m.console)
	if err != nil {
		return err
	}
	defer console.Close()
	m.nspawn = exec.Command("systemd-nspawn", "-b", "-D", m.Dir, "-M", m.Name,
		"--register=no", "--keep-unit", "--console=read-only", "--network-veth")
	m.nspawn.Stdout, m.nspawn.Stderr = console, console
	// Its own session keeps terminal signals away from it; the death signal
	// shuts the machine down if the test binary dies without cleaning up
	// (go test's timeout panics, a kill).
	m.nspawn.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	if err := m.nspawn.Start(); err != nil {
		return err
	}
	m.exited = make(chan struct{})
	go func() { m.nspawn.Wait(); close(m.exited) }()

	veth := "ve-" + m.Name
	if err := m.poll(15*time.Second, func() (bool, error) {
		_, err := net.InterfaceByName(veth)
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("host end %s never appeared: %w", veth, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := run(ctx, nil, "ip", "addr", "add", m.HostAddr+"/24", "dev", veth); err != nil {
		return err
	}
	if _, err := run(ctx, nil, "ip", "link", "set", veth, "up"); err != nil {
		return err
	}
	if err := m.poll(15*time.Second, func() (bool, error) {
		m.pid1 = containerInit(m.nspawn.Process.Pid)
		return m.pid1 != 0, nil
	}); err != nil {
		return fmt.Errorf("no init process under systemd-nspawn: %w", err)
	}
	return m.checkIsolated()
}

// checkIsolated proves the machine has its own network namespace: anything
// it binds or any rule it loads stays off the host.
func (m *Machine) checkIsolated() error {
	mine, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return err
	}
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", m.pid1))
	if err != nil {
		return err
	}
	if mine == theirs {
		return fmt.Errorf("machine shares the host network namespace (%s)", mine)
	}
	return nil
}

// poll calls f until it reports done, the machine dies, or the time is up.
func (m *Machine) poll(limit time.Duration, f func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		done, err := f()
		if done {
			return nil
		}
		last = err
		select {
		case <-m.exited:
			return fmt.Errorf("systemd-nspawn exited (%v)\nconsole:\n%s", m.nspawn.ProcessState, m.consoleTail(30))
		default:
		}
		if time.Now().After(deadline) {
			if last == nil {
				last = fmt.Errorf("timed out")
			}
			return fmt.Errorf("after %s: %w", limit, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitBooted waits for systemd inside to finish starting up: every job of
// the boot transaction done, including oneshot services multi-user.target
// pulls in (cloud-final). "degraded" is accepted (containers lack some
// kernel features) but its failed units are logged. If the boot does not
// finish in time, the jobs still queued say what it waits for.
func (m *Machine) waitBooted(limit time.Duration) error {
	var state string
	err := m.poll(limit, func() (bool, error) {
		// Exit 0 whatever the state: a failed probe unit would itself make
		// the system "degraded".
		r := m.Shell("systemctl is-system-running || true")
		state = strings.TrimSpace(r.Stdout)
		switch state {
		case "running":
			return true, nil
		case "degraded":
			failed := m.Exec("systemctl", "--failed", "--no-legend", "--plain")
			m.t.Logf("vps %s booted degraded; failed units:\n%s", m.Name, failed.Stdout)
			return true, nil
		}
		return false, fmt.Errorf("system state %q: %s", state, strings.TrimSpace(r.Stderr))
	})
	if err != nil && m.pid1 != 0 {
		jobs := m.Exec("systemctl", "list-jobs", "--no-pager")
		err = fmt.Errorf("%w\nqueued jobs:\n%s", err, strings.TrimSpace(jobs.Stdout+jobs.Stderr))
	}
	return err
}

// WaitSSH waits until sshd answers with its banner on port.
func (m *Machine) WaitSSH(port int, limit time.Duration) error {
	return m.poll(limit, func() (bool, error) {
		banner, err := m.Banner(port)
		if err != nil {
			return false, err
		}
		return strings.HasPrefix(banner, "SSH-"), fmt.Errorf("banner %q", banner)
	})
}

// WaitClosed waits until nothing answers on port (a reloaded sshd stops
// listening on a port only once it has re-executed).
func (m *Machine) WaitClosed(port int, limit time.Duration) error {
	return m.poll(limit, func() (bool, error) {
		banner, err := m.Banner(port)
		if err != nil {
			return true, nil
		}
		return false, fmt.Errorf("port %d still answers: %q", port, banner)
	})
}

// Banner connects to port on the machine and returns the first line it sends.
func (m *Machine) Banner(port int) (string, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(m.Addr, strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// stop shuts the machine down (SIGTERM to systemd-nspawn makes the init
// power off), killing it if it does not stop in time. On a failed test the
// journal tail is logged first.
func (m *Machine) stop() {
	if m.t.Failed() {
		m.t.Logf("operator commands on %s:\n%s", m.Name, m.historyReport())
	}
	consoleToo := m.t.Failed()
	if m.t.Failed() && m.pid1 != 0 {
		j := m.Exec("journalctl", "--no-pager", "-n", "80")
		m.t.Logf("journal tail of %s:\n%s%s", m.Name, j.Stdout, j.Stderr)
		// The console only matters when the journal cannot be read.
		consoleToo = !j.OK()
	}
	if m.nspawn == nil || m.nspawn.Process == nil {
		return
	}
	m.nspawn.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(20 * time.Second):
		m.t.Logf("vps %s did not stop in 20s; killing it", m.Name)
		syscall.Kill(-m.nspawn.Process.Pid, syscall.SIGKILL)
		<-m.exited
	}
	if consoleToo {
		m.t.Logf("console tail of %s:\n%s", m.Name, m.consoleTail(20))
	}
}

func (m *Machine) consoleTail(n int) string {
	b, _ := os.ReadFile(m.console)
	return tail(string(b), n)
}
