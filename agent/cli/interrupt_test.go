package cli

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterruptExits: the first signal cancels the run's context and
// leaves the process alone; the second exits with the shell's code for it,
// saying what the run left behind.
func TestSecondInterruptExits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codes := make(chan int, 1)
	var w bytes.Buffer
	in := &interrupts{signals: make(chan os.Signal, 2), done: make(chan struct{}), cancel: cancel,
		w: &w, cutShort: "Undo it with `harden rollback`.", exit: func(code int) { codes <- code }}
	go in.watch()

	in.signals <- syscall.SIGINT
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first SIGINT did not cancel the run's context")
	}
	in.signals <- syscall.SIGTERM
	select {
	case code := <-codes:
		if code != 128+int(syscall.SIGTERM) {
			t.Errorf("exit code %d, want %d", code, 128+int(syscall.SIGTERM))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not exit")
	}
	want := "harden: SIGINT: stopping; send it again to exit at once\n" +
		"harden: SIGTERM again: exiting at once, before the run finished. Undo it with `harden rollback`.\n"
	if w.String() != want {
		t.Errorf("said:\n%s\nwant:\n%s", w.String(), want)
	}
}

// TestInterruptsEndWithTheRun: once the run is over its watcher stops, and
// a signal then neither cancels nor exits.
func TestInterruptsEndWithTheRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	in := &interrupts{signals: make(chan os.Signal, 2), done: make(chan struct{}), cancel: cancel,
		w: &bytes.Buffer{}, exit: func(code int) { exited <- code }}
	stopped := make(chan struct{})
	go func() { in.watch(); close(stopped) }()
	close(in.done)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher kept running after the run ended")
	}
	in.signals <- syscall.SIGINT
	if ctx.Err() != nil || len(exited) != 0 {
		t.Error("a signal after the run acted on it")
	}
}
