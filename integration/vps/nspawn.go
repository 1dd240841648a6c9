package vps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// start boots the tree in a cgroup of its own (see cgroup.go). The host
// runs no systemd, so the machine is not registered; --network-veth gives
// it its own network namespace, so its sshd and nft never touch the host's.
func (m *Machine) start() error {
	console, err := os.OpenFile(m.console, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer console.Close()
	if err := m.startNspawn(console); err != nil {
		return err
	}
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

// startNspawn starts systemd-nspawn in the machine's own cgroup. A shell
// holds the process until the harness has moved it there, then becomes
// systemd-nspawn (same pid), so nothing of the machine ever runs in the
// test binary's cgroup. When systemd-nspawn exits, the cgroup is removed
// and m.exited closes.
func (m *Machine) startNspawn(console *os.File) error {
	cg, err := newMachineCgroup(m.Name)
	if err != nil {
		return err
	}
	args := []string{"-c", `read -r _ && exec "$@" </dev/null`, "sh",
		"systemd-nspawn", "-b", "-D", m.Dir, "-M", m.Name,
		"--register=no", "--keep-unit", "--console=read-only", "--network-veth"}
	if m.docker {
		args = append(args, dockerNspawnArgs...)
	}
	cmd := exec.Command("/bin/sh", args...)
	if m.docker {
		cmd.Env = append(os.Environ(), dockerNspawnEnv...)
	}
	cmd.Stdout, cmd.Stderr = console, console
	// Its own session keeps terminal signals away from it; the death signal
	// (kept across exec) shuts the machine down if the test binary dies
	// without cleaning up (go test's timeout panics, a kill).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	release, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return errors.Join(err, cg.remove())
	}
	if err := cg.enter(cmd.Process.Pid); err != nil {
		release.Close() // the shell exits without starting anything
		cmd.Wait()
		return errors.Join(err, cg.remove())
	}
	_, err = release.Write([]byte("go\n"))
	release.Close()
	m.nspawn, m.exited, m.cgroup = cmd, make(chan struct{}), cg
	go func(exited chan struct{}) {
		cmd.Wait()
		m.cgroupErr = cg.remove()
		close(exited)
	}(m.exited)
	return err
}

// Cgroups are the machine's own cgroup directories on the host, one per
// hierarchy (the harness's self-tests look into them).
func (m *Machine) Cgroups() []string {
	if m.cgroup == nil {
		return nil
	}
	return append([]string(nil), m.cgroup.dirs...)
}

// Reboot reboots the machine the way its operator would (systemctl reboot)
// and boots the same tree again: systemd-nspawn exits when its container
// reboots (status 133) instead of starting it again, so a new one starts on
// the same directory, name and network, in a fresh cgroup. It returns once
// systemd inside has finished booting.
func (m *Machine) Reboot() {
	m.t.Helper()
	start := time.Now()
	m.Exec("systemctl", "reboot", "--no-block")
	select {
	case <-m.exited:
	case <-time.After(60 * time.Second):
		m.t.Fatalf("vps: reboot %s: the machine did not go down in 60s", m.Name)
	}
	if m.cgroupErr != nil {
		m.t.Fatalf("vps: reboot %s: %v", m.Name, m.cgroupErr)
	}
	// The host end of the link goes with the machine's network namespace.
	veth := "ve-" + m.Name
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := net.InterfaceByName(veth); err != nil {
			break
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("vps: reboot %s: %s still exists 15s after the machine went down", m.Name, veth)
		}
	}
	down := time.Since(start)
	m.pid1 = 0
	if err := m.start(); err != nil {
		m.t.Fatalf("vps: reboot %s: %v", m.Name, err)
	}
	if err := m.waitBooted(BootLimit); err != nil {
		m.t.Fatalf("vps: reboot %s: %v", m.Name, err)
	}
	m.t.Logf("vps %s rebooted: down in %s, up again in %s", m.Name, down.Round(time.Millisecond),
		(time.Since(start) - down).Round(time.Millisecond))
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
	m.BootFailed = nil
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
			for _, line := range strings.Split(strings.TrimSpace(failed.Stdout), "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					m.BootFailed = append(m.BootFailed, f[0])
				}
			}
			m.t.Logf("vps %s booted degraded; failed units:\n%s", m.Name, failed.Stdout)
			return true, nil
		}
		return false, fmt.Errorf("system state %q: %s", state, strings.TrimSpace(r.Stderr))
	})
	if err != nil && m.pid1 != 0 {
		jobs := m.Exec("systemctl", "list-jobs", "--no-pager")
		err = fmt.Errorf("%w\nqueued jobs:\n%s", err, strings.TrimSpace(jobs.Stdout+jobs.Stderr))
	}
	if err == nil && m.docker {
		err = m.dockerReady()
	}
	return err
}

// dockerReady checks that dockerd came up with the boot and answers its
// client; if not, its journal says why.
func (m *Machine) dockerReady() error {
	if r := m.Exec("docker", "version", "--format", "{{.Server.Version}}"); !r.OK() {
		return fmt.Errorf("dockerd does not answer:\n%s\n%s", r, m.Journal("docker.service", 30))
	}
	return nil
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
	if m.cgroupErr != nil {
		m.t.Errorf("vps: %s: %v", m.Name, m.cgroupErr)
	}
	if consoleToo {
		m.t.Logf("console tail of %s:\n%s", m.Name, m.consoleTail(20))
	}
}

func (m *Machine) consoleTail(n int) string {
	b, _ := os.ReadFile(m.console)
	return tail(string(b), n)
}
