package vps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// CommandTimeout bounds every command run on a machine.
const CommandTimeout = 5 * time.Minute

// Result is one finished command: what ran, what it said, how it ended.
type Result struct {
	Cmd    string
	Stdout string
	Stderr string
	Exit   int // -1 if it could not run or timed out
	Err    error
}

// OK reports a zero exit.
func (r Result) OK() bool { return r.Exit == 0 && r.Err == nil }

// String is the report a failing test prints: the command and its output.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ %s\nexit %d", r.Cmd, r.Exit)
	if r.Err != nil {
		fmt.Fprintf(&b, " (%v)", r.Err)
	}
	if s := strings.TrimRight(r.Stdout, "\n"); s != "" {
		fmt.Fprintf(&b, "\n--- stdout\n%s", s)
	}
	if s := strings.TrimRight(r.Stderr, "\n"); s != "" {
		fmt.Fprintf(&b, "\n--- stderr\n%s", s)
	}
	return b.String()
}

func runResult(stdin []byte, display string, name string, args ...string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	r := Result{Cmd: display, Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.Exit = exit.ExitCode()
	default:
		r.Exit, r.Err = -1, err
		if ctx.Err() != nil {
			r.Err = fmt.Errorf("timed out after %s", CommandTimeout)
		}
	}
	return r
}

// sshBase are the client options every harness login uses: a throwaway
// machine has a fresh host key, and nothing may prompt.
func sshBase(port int) []string {
	return []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "-p", strconv.Itoa(port)}
}

// SSH logs in as user on port with the harness key and runs cmd (a shell
// command line for the remote login shell).
func (m *Machine) SSH(user string, port int, cmd string) Result {
	args := append(sshBase(port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-i", m.h.Key.Private, user+"@"+m.Addr, cmd)
	return runResult(nil, fmt.Sprintf("ssh -p %d %s@%s %s", port, user, m.Addr, cmd), "ssh", args...)
}

// Sudo is the operator's path: ssh as deploy on m.Port, then sudo. The
// ssh connection's SSH_CONNECTION is kept so harden knows which session
// the operator is on.
func (m *Machine) Sudo(cmd string) Result {
	r := m.SSH(DeployUser, m.Port, "sudo -n --preserve-env=SSH_CONNECTION "+cmd)
	m.mu.Lock()
	m.history = append(m.history, r)
	m.mu.Unlock()
	return r
}

// historyReport is every operator command run so far with its output
// (shortened), for a failed test's log.
func (m *Machine) historyReport() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, r := range m.history {
		s := r.String()
		if lines := strings.Count(s, "\n"); lines > 60 {
			s = headTail(s, 25, 25)
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// headTail keeps the first and last lines of s.
func headTail(s string, head, tailN int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= head+tailN {
		return s
	}
	out := append([]string{}, lines[:head]...)
	out = append(out, fmt.Sprintf("[... %d lines ...]", len(lines)-head-tailN))
	return strings.Join(append(out, lines[len(lines)-tailN:]...), "\n")
}

// MustSudo is Sudo that fails the test (with command and output) unless the
// exit code is one of ok (default 0).
func (m *Machine) MustSudo(cmd string, ok ...int) Result {
	m.t.Helper()
	r := m.Sudo(cmd)
	m.Expect(r, ok...)
	return r
}

// Expect fails the test unless r ended with one of the exit codes (default 0).
func (m *Machine) Expect(r Result, ok ...int) {
	m.t.Helper()
	if len(ok) == 0 {
		ok = []int{0}
	}
	for _, code := range ok {
		if r.Err == nil && r.Exit == code {
			return
		}
	}
	m.t.Fatalf("on %s, want exit %v:\n%s", m.Name, ok, r)
}

// PasswordLogin tries a password login (no key offered) as user on port.
func (m *Machine) PasswordLogin(user, password string, port int) Result {
	args := append([]string{"-p", password, "ssh"}, sshBase(port)...)
	args = append(args, "-o", "PreferredAuthentications=password,keyboard-interactive",
		"-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", user+"@"+m.Addr, "true")
	return runResult(nil, fmt.Sprintf("sshpass ssh -o PreferredAuthentications=password -p %d %s@%s true",
		port, user, m.Addr), "sshpass", args...)
}

// Exec runs a command inside the machine with the container's own
// privileges, bypassing ssh (for the harness's own reads: journal, hashes).
// Plain nsenter would run with the host's capabilities, so the command is
// handed to the machine's systemd instead. The arguments arrive as given:
// see unitArgs.
func (m *Machine) Exec(args ...string) Result {
	full := append([]string{"-t", strconv.Itoa(m.pid1), "-a", "--",
		"systemd-run", "--wait", "--pipe", "--quiet", "--collect", "--"}, unitArgs(args)...)
	display := "(in " + m.Name + ") " + strings.Join(args, " ")
	return runResult(nil, display, "nsenter", full...)
}

// unitArgs escapes a command line for systemd-run: the command becomes a
// unit's ExecStart=, where systemd replaces $VAR and ${VAR} with the unit's
// environment when it runs it ("$HOME" in a shell script would be gone
// before the shell saw it) and "$$" stands for a literal "$". Debian 12's
// systemd (252) has no --expand-environment=no, which came in 254. The
// first argument is left alone: systemd-run looks it up as the program's
// path, which is never expanded.
func unitArgs(args []string) []string {
	out := append([]string(nil), args...)
	for i := 1; i < len(out); i++ {
		out[i] = strings.ReplaceAll(out[i], "$", "$$")
	}
	return out
}

// Shell is Exec of a shell command line.
func (m *Machine) Shell(script string) Result {
	return m.Exec("/bin/sh", "-c", script)
}

// MustShell is Shell that fails the test unless it exits 0.
func (m *Machine) MustShell(script string) Result {
	m.t.Helper()
	r := m.Shell(script)
	m.Expect(r)
	return r
}

// Journal returns the last n journal lines (of unit, if not empty).
func (m *Machine) Journal(unit string, n int) string {
	args := []string{"journalctl", "--no-pager", "-n", strconv.Itoa(n)}
	if unit != "" {
		args = append(args, "-u", unit)
	}
	r := m.Exec(args...)
	return r.Stdout + r.Stderr
}

// Host runs a command on the host (a judge such as ssh-audit).
func Host(name string, args ...string) Result {
	return runResult(nil, name+" "+strings.Join(args, " "), name, args...)
}
