package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalContext is interruptContext on the process's stderr, for a verb
// with nothing particular to say when it is cut short.
func signalContext() (context.Context, context.CancelFunc) {
	return interruptContext(os.Stderr, "")
}

// interruptContext returns a context that the first SIGINT or SIGTERM
// cancels: the run stops where it next looks, and undoes what it must. A
// second signal exits at once, saying so and then cutShort: a run stuck where
// it cannot look (opening a FIFO, a command that hangs) must never make
// harden deaf to Ctrl-C or to systemd stopping it.
func interruptContext(w io.Writer, cutShort string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	in := &interrupts{signals: make(chan os.Signal, 2), done: make(chan struct{}),
		cancel: cancel, w: w, cutShort: cutShort, exit: os.Exit}
	signal.Notify(in.signals, os.Interrupt, syscall.SIGTERM)
	go in.watch()
	return ctx, sync.OnceFunc(func() {
		signal.Stop(in.signals)
		close(in.done)
		cancel()
	})
}

// interrupts watches for the signals of one run.
type interrupts struct {
	signals  chan os.Signal
	done     chan struct{} // the run is over: stop watching
	cancel   context.CancelFunc
	w        io.Writer
	cutShort string    // what to tell the operator on a second signal
	exit     func(int) // os.Exit; tests record the code instead
}

func (in *interrupts) watch() {
	select {
	case sig := <-in.signals:
		fmt.Fprintf(in.w, "harden: %s: stopping; send it again to exit at once\n", signalName(sig))
		in.cancel()
	case <-in.done:
		return
	}
	select {
	case sig := <-in.signals:
		msg := fmt.Sprintf("harden: %s again: exiting at once, before the run finished.", signalName(sig))
		if in.cutShort != "" {
			msg += " " + in.cutShort
		}
		fmt.Fprintln(in.w, msg)
		in.exit(exitCode(sig))
	case <-in.done:
	}
}

func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}

// exitCode is the shell's code for a process ended by sig: 128 + its number.
func exitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitError
}
