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
	"testing"
	"time"
)

// Machine is one booted fresh VPS.
type Machine struct {
	t        testing.TB
	h        *Harness
	Name     string
	Release  Release
	Dir      string // its root filesystem on the host
	Addr     string // its address on the veth link (10.231.N.2)
	HostAddr string // the host's end (10.231.N.1)
	// Port is where Sudo and SSH connect; a test that moves sshd updates it.
	Port int
	// BootFailed are the units that had failed when the last boot finished
	// (the system "degraded"); empty after a clean boot.
	BootFailed []string

	mu      sync.Mutex
	history []Result // operator commands (Sudo), reported on failure

	nspawn    *exec.Cmd
	exited    chan struct{}
	cgroup    *machineCgroup
	cgroupErr error // removing the cgroup once systemd-nspawn exited
	pid1      int
	console   string
	docker    bool // booted with what dockerd needs (Options.Docker)
}

// Options change how a machine is prepared.
type Options struct {
	// Release is the platform to boot (ForEachRelease hands it to the
	// scenario); empty means DefaultRelease.
	Release Release
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
	// Docker boots the release's Docker variant: Debian's docker.io (with
	// busybox-static and iptables) installed and dockerd enabled, and
	// systemd-nspawn started with what dockerd needs inside (docker.go).
	// Boot returns once dockerd answers. Other machines stay as they are.
	Docker bool
}

// BootLimit bounds the wait for systemd to report the boot finished. The
// boot includes everything multi-user.target pulls in, such as cloud-init's
// final stage installing packages and applying a profile; a plain machine
// is up in about a second.
const BootLimit = 3 * time.Minute

// Boot unpacks a fresh copy of the release's image, runs opts.Prepare on
// it, boots it and waits until systemd reports the boot finished and sshd
// answers on opts.SSHPort. Everything is undone when the test ends, pass or
// fail; on failure the journal tail is logged first.
func Boot(t testing.TB, opts Options) *Machine {
	t.Helper()
	h := Shared(t)
	rel := opts.Release
	if rel.Name == "" {
		rel = DefaultRelease()
	}
	var harden string
	if !opts.NoHarden {
		harden = h.Harden(t)
	}
	image, err := h.Image(rel, opts.Docker)
	if err != nil {
		t.Fatalf("system tier setup: %v", err)
	}
	h.slots <- struct{}{}
	t.Cleanup(func() { <-h.slots })
	sl, err := acquireSlot()
	if err != nil {
		t.Fatalf("vps: %v", err)
	}
	t.Cleanup(sl.unlock)

	m := &Machine{t: t, h: h, Name: machineName(sl.n), Release: rel, Port: 22, docker: opts.Docker,
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
	if err := Unpack(ctx, image, m.Dir); err != nil {
		t.Fatalf("vps: unpack image: %v", err)
	}
	unpacked := time.Since(start)
	if err := m.prepare(ctx, harden); err != nil {
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
	// Registered first: a machine that fails to come up is stopped too.
	t.Cleanup(m.stop)
	if err := m.start(); err != nil {
		t.Fatalf("vps: start %s: %v", m.Name, err)
	}
	if err := m.waitBooted(BootLimit); err != nil {
		t.Fatalf("vps: boot %s: %v", m.Name, err)
	}
	if opts.SSHPort != 0 {
		m.Port = opts.SSHPort
	}
	if err := m.WaitSSH(m.Port, 30*time.Second); err != nil {
		t.Fatalf("vps: sshd on %s port %d: %v", m.Name, m.Port, err)
	}
	t.Logf("vps %s (%s) at %s: %s, booted in %s, ready in %s", m.Name, rel, m.Addr, steps,
		time.Since(booting).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return m
}

// prepare writes what is particular to this machine into its fresh tree:
// its address, the operator's key, the harden binary, and the release's
// sshd layout.
func (m *Machine) prepare(ctx context.Context, harden string) error {
	if m.Release.SocketSSH {
		if err := socketActivateSSH(ctx, m.Dir); err != nil {
			return err
		}
	}
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

// socketActivateSSH gives the tree Ubuntu's default sshd layout: systemd
// holds port 22 through ssh.socket and starts ssh.service on the first
// connection; ssh.service is not enabled on its own. The tree's own
// systemctl does it, offline, as an image build would (about 0.1 s a
// machine, cheaper than a third image).
func socketActivateSSH(ctx context.Context, root string) error {
	for _, args := range [][]string{{"disable", "ssh.service"}, {"enable", "ssh.socket"}} {
		if _, err := run(ctx, nil, "chroot", append([]string{root, "systemctl", "--quiet"}, args...)...); err != nil {
			return fmt.Errorf("socket-activated sshd: %w", err)
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
