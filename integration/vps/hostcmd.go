package vps

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// run executes a host command and returns its combined output; an error
// carries the command and the tail of what it said.
func run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	return runEnv(ctx, nil, stdin, name, args...)
}

func runEnv(ctx context.Context, env []string, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(string(out), 40))
	}
	return out, nil
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tryLock takes an exclusive lock on path without waiting.
func tryLock(path string) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}

// progressEvery is how often a long host command reports that it is still
// at work, with the last line it wrote.
const progressEvery = 20 * time.Second

// runLogged runs a long host command (debootstrap) so a person watching sees
// it move: each phase line (see isPhase) goes to logf as it comes, and every
// progressEvery the latest line does. An error carries the command and the tail of its output.
func runLogged(ctx context.Context, logf func(string, ...any), prefix, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, pr) // a line too long for the scanner must not block the command
		close(lines)
	}()

	start := time.Now()
	ticker := time.NewTicker(progressEvery)
	defer ticker.Stop()
	var out strings.Builder
	last := ""
read:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break read
			}
			last = line
			out.WriteString(line + "\n")
			if isPhase(line) {
				logf("%s: %s (%s)", prefix, strings.TrimPrefix(line, "I: "), time.Since(start).Round(time.Second))
			}
		case <-ticker.C:
			logf("%s: still at work after %s: %s", prefix, time.Since(start).Round(time.Second), last)
		}
	}
	if err := <-waited; err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return nil
}

// isPhase tells debootstrap's phase lines ("I: Unpacking the base
// system...") from its lines per package ("I: Unpacking sed...").
func isPhase(line string) bool {
	return strings.HasSuffix(line, "...") && len(strings.Fields(line)) >= 4
}
