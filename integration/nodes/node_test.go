//go:build system

package nodes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"harden/integration/vps"
)

// node is a booted VPS plus what the vps harness does not offer: a reboot
// onto the same root filesystem. vps.Machine keeps its container's PID 1
// and its systemd-nspawn process to itself, and both change on a reboot,
// so node finds PID 1 on its own (the process whose root is the machine's
// tree) and runs commands inside through it.
type node struct {
	*vps.Machine
	t       *testing.T
	pid1    int
	console string
}

// bootNode boots a fresh VPS and puts the tcplisten binary in it.
func bootNode(t *testing.T) *node {
	t.Helper()
	m := vps.Boot(t, vps.Options{})
	n := &node{Machine: m, t: t, console: filepath.Join(t.TempDir(), "reboot-console.log")}
	if n.pid1 = findInit(m.Dir); n.pid1 == 0 {
		t.Fatalf("no init process with root %s", m.Dir)
	}
	data, err := os.ReadFile(listener)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.Dir, "usr/local/bin/tcplisten"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return n
}

// findInit returns the host pid of the machine's PID 1: a process that is
// PID 1 in its own namespace, below a systemd-nspawn booting dir (0 if
// none). /proc/PID/root cannot tell: inside its own mount namespace the
// container's root reads as "/".
func findInit(dir string) int {
	nspawns := map[int]bool{}
	for _, pid := range pids() {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) != "systemd-nspawn" {
			continue
		}
		for i, a := range args {
			if a == "-D" && i+1 < len(args) && args[i+1] == dir {
				nspawns[pid] = true
			}
		}
	}
	for _, pid := range pids() {
		ppid, nspid := procStatus(pid)
		if len(nspid) < 2 || nspid[len(nspid)-1] != "1" {
			continue
		}
		for p, depth := ppid, 0; p > 1 && depth < 4; depth++ {
			if nspawns[p] {
				return pid
			}
			p, _ = procStatus(p)
		}
	}
	return 0
}

func pids() []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// procStatus reads a process's parent and its pids in nested namespaces.
func procStatus(pid int) (ppid int, nspid []string) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, nil
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			ppid, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			nspid = strings.Fields(v)
		}
	}
	return ppid, nspid
}

// sh runs a shell command line inside the VPS with the container's own
// privileges (through its systemd), not through ssh: the console path.
// systemd expands ${NAME} and $NAME in the command line itself: scripts
// must not use them (write $$ for a literal $).
func (n *node) sh(script string) vps.Result {
	ctx, cancel := context.WithTimeout(context.Background(), vps.CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(n.pid1), "-a", "--",
		"systemd-run", "--wait", "--pipe", "--quiet", "--collect", "--", "/bin/sh", "-c", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := vps.Result{Cmd: "(console) " + script, Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.Exit = exit.ExitCode()
	default:
		r.Exit, r.Err = -1, err
	}
	return r
}

// mustSh is sh that fails the test unless the command exits with one of ok
// (default 0).
func (n *node) mustSh(script string, ok ...int) vps.Result {
	n.t.Helper()
	r := n.sh(script)
	n.Expect(r, ok...)
	return r
}

// reboot reboots the VPS the way its operator would (systemctl reboot),
// then boots the same tree again. systemd-nspawn exits when its container
// reboots (exit status 133) instead of starting it again, so a new
// systemd-nspawn is started here on the same directory, name and network.
// It waits until systemd inside has finished booting.
func (n *node) reboot() {
	t := n.t
	t.Helper()
	start := time.Now()
	old := n.pid1
	n.sh("systemctl reboot --no-block")
	veth := "ve-" + n.Name
	if err := waitFor(60*time.Second, func() error {
		if syscall.Kill(old, 0) == nil {
			return fmt.Errorf("old init %d still runs", old)
		}
		if _, err := net.InterfaceByName(veth); err == nil {
			return fmt.Errorf("%s still exists", veth)
		}
		return nil
	}); err != nil {
		t.Fatalf("reboot: the machine did not go down: %v", err)
	}
	down := time.Since(start)

	console, err := os.Create(n.console)
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	cmd := exec.Command("systemd-nspawn", "-b", "-D", n.Dir, "-M", n.Name,
		"--register=no", "--keep-unit", "--console=read-only", "--network-veth")
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("reboot: start systemd-nspawn: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	// Registered after vps.Boot's cleanups, so it runs before the tree is
	// removed.
	t.Cleanup(func() {
		if t.Failed() && n.pid1 != 0 {
			j := n.sh("journalctl --no-pager -b -n 80")
			t.Logf("journal tail after the reboot:\n%s%s", j.Stdout, j.Stderr)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	if err := waitFor(15*time.Second, func() error {
		if _, err := net.InterfaceByName(veth); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("reboot: %v\n%s", err, n.consoleTail())
	}
	for _, args := range [][]string{{"addr", "add", n.HostAddr + "/24", "dev", veth}, {"link", "set", veth, "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("reboot: ip %v: %v\n%s", args, err, out)
		}
	}
	if err := waitFor(15*time.Second, func() error {
		if n.pid1 = findInit(n.Dir); n.pid1 == 0 {
			return fmt.Errorf("no init process yet")
		}
		return nil
	}); err != nil {
		t.Fatalf("reboot: %v\n%s", err, n.consoleTail())
	}
	if err := waitFor(90*time.Second, func() error {
		select {
		case <-exited:
			return fmt.Errorf("systemd-nspawn exited")
		default:
		}
		r := n.sh("systemctl is-system-running || true")
		switch s := strings.TrimSpace(r.Stdout); s {
		case "running", "degraded":
			return nil
		default:
			return fmt.Errorf("system state %q", s)
		}
	}); err != nil {
		t.Fatalf("reboot: %v\n%s", err, n.consoleTail())
	}
	t.Logf("rebooted %s: down in %s, up again in %s", n.Name, down.Round(time.Millisecond),
		(time.Since(start) - down).Round(time.Millisecond))
}

func (n *node) consoleTail() string {
	b, _ := os.ReadFile(n.console)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "console:\n" + strings.Join(lines, "\n")
}

// waitFor calls f every 100ms until it returns nil or limit passes.
func waitFor(limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitGreeting waits until port greets with a line starting with prefix.
func (n *node) waitGreeting(port int, prefix string, limit time.Duration) error {
	return waitFor(limit, func() error {
		line, err := n.Banner(port)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, prefix) {
			return fmt.Errorf("port %d greets with %q", port, line)
		}
		return nil
	})
}

// waitUnreachable waits until port cannot be reached from the host.
func (n *node) waitUnreachable(port int, limit time.Duration) error {
	return waitFor(limit, func() error {
		if line, err := n.Banner(port); err == nil {
			return fmt.Errorf("port %d still answers %q", port, line)
		}
		return nil
	})
}
