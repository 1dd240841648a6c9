// Package iristub is a stand-in for IRI's HTTP API, close enough to reproduce
// the outage of public IOTA nodes: a bounded pool of workers like IRI's,
// getNodeInfo answered at once, getTransactionsToApprove with a `reference`
// holding a worker for a long time and computing on after its client went
// away, and the REMOTE_LIMIT_API commands refused with 401 for callers that
// are not on loopback, as IRI refuses them.
//
// It counts its open connections (a socket stays open, in CLOSE_WAIT, while
// a worker still computes for a client that left), so a test can see them
// pile up.
package iristub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape the stand-in. Zero values take the defaults.
type Options struct {
	// Workers bounds the requests computed at once (IRI's worker pool);
	// the rest wait for a worker with their connection open. Default 4.
	Workers int
	// SlowReference is how long getTransactionsToApprove with a
	// `reference` holds its worker (the tip-selection walk that stalled
	// public nodes). Default 5s.
	SlowReference time.Duration
	// TipSelection is getTransactionsToApprove without a reference.
	// Default 20ms.
	TipSelection time.Duration
	// PoW is how long attachToTangle holds its worker. Default 1s.
	PoW time.Duration
	// RemoteLimitAPI lists commands refused to non-loopback callers.
	// Default: IRI's usual list.
	RemoteLimitAPI []string
}

// DefaultRemoteLimitAPI is the list the community converged on.
var DefaultRemoteLimitAPI = []string{"addNeighbors", "removeNeighbors", "getNeighbors",
	"attachToTangle", "interruptAttachingToTangle"}

// Stats is a snapshot of the stand-in's load.
type Stats struct {
	// OpenConns are sockets accepted and not yet closed.
	OpenConns int64 `json:"open_conns"`
	// PeakConns is the highest OpenConns seen since the last Reset.
	PeakConns int64 `json:"peak_conns"`
	// Busy are workers computing right now; PeakBusy the highest seen.
	Busy     int64 `json:"busy"`
	PeakBusy int64 `json:"peak_busy"`
	// Waiting are requests queued for a worker.
	Waiting int64 `json:"waiting"`
	// Served counts requests by command.
	Served map[string]int64 `json:"served"`
}

// Server is a running stand-in.
type Server struct {
	opts    Options
	workers chan struct{}
	limited map[string]bool
	http    *http.Server
	ln      net.Listener

	open, peakOpen, busy, peakBusy, waiting atomic.Int64

	mu     sync.Mutex
	served map[string]int64
}

// New returns a stand-in that is not listening yet.
func New(o Options) *Server {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.SlowReference <= 0 {
		o.SlowReference = 5 * time.Second
	}
	if o.TipSelection <= 0 {
		o.TipSelection = 20 * time.Millisecond
	}
	if o.PoW <= 0 {
		o.PoW = time.Second
	}
	if o.RemoteLimitAPI == nil {
		o.RemoteLimitAPI = DefaultRemoteLimitAPI
	}
	s := &Server{opts: o, workers: make(chan struct{}, o.Workers), limited: map[string]bool{},
		served: map[string]int64{}}
	for _, c := range o.RemoteLimitAPI {
		s.limited[c] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug", s.debug)
	mux.HandleFunc("/", s.api)
	s.http = &http.Server{Handler: mux, ConnState: s.connState, ReadHeaderTimeout: time.Minute}
	return s
}

// Listen starts serving on addr ("127.0.0.1:0" picks a port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("iristub: %w", err)
	}
	s.ln = ln
	go s.http.Serve(ln)
	return nil
}

// Addr is the address the stand-in listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener and drops every connection; workers still
// computing finish on their own.
func (s *Server) Close() error { return s.http.Close() }

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	served := make(map[string]int64, len(s.served))
	for k, v := range s.served {
		served[k] = v
	}
	s.mu.Unlock()
	return Stats{OpenConns: s.open.Load(), PeakConns: s.peakOpen.Load(), Busy: s.busy.Load(),
		PeakBusy: s.peakBusy.Load(), Waiting: s.waiting.Load(), Served: served}
}

// ResetPeaks starts peak tracking afresh from the current values.
func (s *Server) ResetPeaks() {
	s.peakOpen.Store(s.open.Load())
	s.peakBusy.Store(s.busy.Load())
}

// WaitIdle waits until no worker computes and no request waits, or ctx ends.
func (s *Server) WaitIdle(ctx context.Context) error {
	for s.busy.Load() > 0 || s.waiting.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (s *Server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		raise(&s.peakOpen, s.open.Add(1))
	case http.StateClosed, http.StateHijacked:
		s.open.Add(-1)
	}
}

func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

func (s *Server) debug(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Stats())
}

// api imitates IRI's API handler: the version header is required, the body
// is a JSON object naming a command, every command runs on a worker.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Header.Get("X-IOTA-API-Version") == "" {
		reply(w, http.StatusBadRequest, map[string]any{"error": "Invalid API Version"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"error": "Invalid JSON syntax: " + err.Error()})
		return
	}
	cmd, _ := req["command"].(string)
	if s.limited[cmd] && !isLoopback(r.RemoteAddr) {
		reply(w, http.StatusUnauthorized, map[string]any{"error": "COMMAND " + cmd + " is not available on this node"})
		return
	}
	s.waiting.Add(1)
	s.workers <- struct{}{}
	s.waiting.Add(-1)
	raise(&s.peakBusy, s.busy.Add(1))
	s.mu.Lock()
	s.served[cmd]++
	s.mu.Unlock()
	// The work is not tied to the request's context: like IRI, the node
	// keeps computing after its client has gone away.
	status, answer := s.compute(cmd, req)
	s.busy.Add(-1)
	<-s.workers
	reply(w, status, answer)
}

func (s *Server) compute(cmd string, req map[string]any) (int, map[string]any) {
	start := time.Now()
	switch cmd {
	case "getNodeInfo":
		return 200, map[string]any{"appName": "IRI stand-in", "appVersion": "1.8.6", "duration": 0}
	case "getTransactionsToApprove":
		d := s.opts.TipSelection
		if ref, _ := req["reference"].(string); ref != "" {
			d = s.opts.SlowReference
		}
		time.Sleep(d)
		return 200, map[string]any{"trunkTransaction": nines(), "branchTransaction": nines(),
			"duration": time.Since(start).Milliseconds()}
	case "attachToTangle":
		time.Sleep(s.opts.PoW)
		return 200, map[string]any{"trytes": []string{}, "duration": time.Since(start).Milliseconds()}
	case "":
		return 400, map[string]any{"error": "COMMAND parameter has not been specified in the request."}
	default:
		return 200, map[string]any{"duration": 0}
	}
}

func nines() string {
	b := make([]byte, 81)
	for i := range b {
		b[i] = '9'
	}
	return string(b)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
