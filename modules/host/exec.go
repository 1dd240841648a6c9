package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// Run starts a command on the machine harden runs on and returns its
// standard output. A failure carries the command and its standard error.
// Commands are not journaled: a module whose command changes the machine
// (useradd, apt-get) records its own undo with RecordCustom first.
func (h *Host) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return h.RunInput(ctx, nil, name, args...)
}

// RunInput is Run with standard input.
func (h *Host) RunInput(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	h.execs.Add(1)
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	h.log.Debug("exec", zap.String("cmd", name), zap.Strings("args", args))
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		return stdout.Bytes(), &ExecError{Cmd: append([]string{name}, args...), Err: err, Output: msg}
	}
	return stdout.Bytes(), nil
}

// RunLogged runs a long command (apt-get) streaming each output line to the
// log at info level, so the operator sees progress on stderr.
func (h *Host) RunLogged(ctx context.Context, env []string, name string, args ...string) error {
	h.execs.Add(1)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var tail lastLines
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			h.log.Info(line, zap.String("cmd", name))
		}
		io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	pw.Close()
	wg.Wait()
	if err != nil {
		return &ExecError{Cmd: append([]string{name}, args...), Err: err, Output: tail.String()}
	}
	return nil
}

// ExecError is a failed command with what it said.
type ExecError struct {
	Cmd    []string
	Err    error
	Output string
}

func (e *ExecError) Error() string {
	if e.Output == "" {
		return fmt.Sprintf("%s: %v", strings.Join(e.Cmd, " "), e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Cmd, " "), e.Err, e.Output)
}

func (e *ExecError) Unwrap() error { return e.Err }

// lastLines keeps the last few lines of a command's output for its error.
type lastLines struct{ lines []string }

func (l *lastLines) add(s string) {
	if len(l.lines) == 10 {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, s)
}

func (l *lastLines) String() string { return strings.Join(l.lines, "\n") }
