// Package stubnode holds what the stand-in nodes (iristub, iotastub) share:
// a bounded pool of workers, as both nodes compute on a fixed number of
// threads, and counters of open connections, busy workers and served
// calls, so a test can see slow calls take every worker and sockets pile
// up.
package stubnode

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load is a worker pool with its counters.
type Load struct {
	workers chan struct{}

	open, peakOpen, busy, peakBusy, waiting atomic.Int64

	mu     sync.Mutex
	served map[string]int64
}

// NewLoad returns a pool of n workers.
func NewLoad(n int) *Load {
	return &Load{workers: make(chan struct{}, n), served: map[string]int64{}}
}

// Counts is a snapshot of the counters.
type Counts struct {
	// OpenConns are sockets accepted and not yet closed; PeakConns the
	// highest seen since the last ResetPeaks.
	OpenConns int64 `json:"open_conns"`
	PeakConns int64 `json:"peak_conns"`
	// Busy are workers computing right now; PeakBusy the highest seen.
	Busy     int64 `json:"busy"`
	PeakBusy int64 `json:"peak_busy"`
	// Waiting are calls queued for a worker.
	Waiting int64 `json:"waiting"`
	// Served counts calls computed, by name.
	Served map[string]int64 `json:"served"`
}

// Counts returns the current counters.
func (l *Load) Counts() Counts {
	l.mu.Lock()
	served := maps.Clone(l.served)
	l.mu.Unlock()
	return Counts{OpenConns: l.open.Load(), PeakConns: l.peakOpen.Load(), Busy: l.busy.Load(),
		PeakBusy: l.peakBusy.Load(), Waiting: l.waiting.Load(), Served: served}
}

// ConnState is an http.Server's ConnState hook that counts sockets (one
// stays open, in CLOSE_WAIT, while a worker still computes for a client
// that left).
func (l *Load) ConnState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		raise(&l.peakOpen, l.open.Add(1))
	case http.StateClosed, http.StateHijacked:
		l.open.Add(-1)
	}
}

// Run computes one call named name on a worker, waiting for one first.
// The work is not tied to any request's context: like the real nodes, the
// stand-in keeps computing after its client has gone away.
func (l *Load) Run(name string, work func()) {
	l.RunUnlessGone(context.Background(), name, work)
}

// RunUnlessGone is Run for a node that drops a call whose client went
// away before a worker took it up (an async server drops the call's
// future); once started, the work runs to its end all the same. It
// reports whether the work ran.
func (l *Load) RunUnlessGone(ctx context.Context, name string, work func()) bool {
	l.waiting.Add(1)
	select {
	case l.workers <- struct{}{}:
		l.waiting.Add(-1)
	case <-ctx.Done():
		l.waiting.Add(-1)
		return false
	}
	raise(&l.peakBusy, l.busy.Add(1))
	l.mu.Lock()
	l.served[name]++
	l.mu.Unlock()
	defer func() {
		l.busy.Add(-1)
		<-l.workers
	}()
	work()
	return true
}

// ResetPeaks starts peak tracking afresh from the current values.
func (l *Load) ResetPeaks() {
	l.peakOpen.Store(l.open.Load())
	l.peakBusy.Store(l.busy.Load())
}

// WaitIdle waits until no worker computes and no call waits, or ctx ends.
func (l *Load) WaitIdle(ctx context.Context) error {
	for l.busy.Load() > 0 || l.waiting.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// HTTP serves a stand-in's handler, counting its connections in a Load.
type HTTP struct {
	srv *http.Server
	ln  net.Listener
}

// NewHTTP returns a server that is not listening yet.
func NewHTTP(h http.Handler, l *Load) *HTTP {
	return &HTTP{srv: &http.Server{Handler: h, ConnState: l.ConnState, ReadHeaderTimeout: time.Minute}}
}

// Listen starts serving on addr ("127.0.0.1:0" picks a port).
func (s *HTTP) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("stand-in node: %w", err)
	}
	s.ln = ln
	go s.srv.Serve(ln)
	return nil
}

// Addr is the address it listens on.
func (s *HTTP) Addr() string { return s.ln.Addr().String() }

// Close stops the listener and drops every connection; workers still
// computing finish on their own.
func (s *HTTP) Close() error { return s.srv.Close() }
