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
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"

	"harden/integration/stubnode"
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

// Stats is a snapshot of the stand-in's load: its connections, workers and
// the calls served by command.
type Stats = stubnode.Counts

// Server is a running stand-in.
type Server struct {
	*stubnode.Load
	opts    Options
	limited map[string]bool
	*stubnode.HTTP
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
	s := &Server{Load: stubnode.NewLoad(o.Workers), opts: o, limited: map[string]bool{}}
	for _, c := range o.RemoteLimitAPI {
		s.limited[c] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug", s.debug)
	mux.HandleFunc("/", s.api)
	s.HTTP = stubnode.NewHTTP(mux, s.Load)
	return s
}

// Stats returns the current counters.
func (s *Server) Stats() Stats { return s.Counts() }

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
	// Like IRI, the node keeps computing after its client has gone away.
	var status int
	var answer map[string]any
	s.Run(cmd, func() { status, answer = s.compute(cmd, req) })
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
