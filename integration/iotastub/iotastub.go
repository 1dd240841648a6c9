// Package iotastub is a stand-in for iota-node's JSON-RPC server (IOTA
// Rebased), close to it where a proxy in front of it matters:
//
//   - POST on /, /json-rpc and /public only, with Content-Type
//     application/json (axum's Json extractor: 415 otherwise), a 2 MB body
//     limit (axum's default: 413), and invalid JSON answered 400;
//   - one request object per body, decoded as serde decodes jsonrpsee's
//     Request: escapes in "method" decoded, a duplicate field refused
//     (-32600), method names case-sensitive (-32601 for any other);
//   - batches refused with -32005, as iota-node does (Options.Batches serves
//     them instead, as a generic JSON-RPC server would, to test a proxy's
//     checks of every element);
//   - every call computed on a bounded pool of workers (the node's runtime
//     threads): iota_devInspectTransactionBlock and
//     iota_dryRunTransactionBlock hold their worker for a long time and
//     keep computing after the client has gone, as the node's synchronous
//     Move execution does (a call whose client left before a worker was
//     free is dropped, as the node drops its future), while
//     iota_getLatestCheckpointSequenceNumber is answered at once when a
//     worker is free;
//   - the client as the node's traffic controller would see it:
//     the socket's address, or with ProxyHops (policy-config's
//     client-id-source: x-forwarded-for: N) the N-th entry from the end of
//     the first X-Forwarded-For header.
package iotastub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"harden/integration/stubnode"
)

// Method names the scenarios use.
const (
	DevInspect       = "iota_devInspectTransactionBlock"
	DryRun           = "iota_dryRunTransactionBlock"
	LatestCheckpoint = "iota_getLatestCheckpointSequenceNumber"
)

// Options shape the stand-in. Zero values take the defaults.
type Options struct {
	// Workers bounds the calls computed at once (the node's runtime
	// threads, one per core). Default 2.
	Workers int
	// DevInspect and DryRun are how long those calls hold a worker.
	// Defaults 2s and 1s.
	DevInspect, DryRun time.Duration
	// Batches serves JSON-RPC batches instead of refusing them.
	Batches bool
	// ProxyHops is policy-config's x-forwarded-for hop count; 0 is
	// socket-addr.
	ProxyHops int
}

// Stats is a snapshot of the stand-in's load, plus the calls per client
// as the traffic controller saw it ("" when X-Forwarded-For was missing or
// unreadable, as the node logs and skips it).
type Stats struct {
	stubnode.Counts
	Clients map[string]int64 `json:"clients"`
}

// Server is a running stand-in.
type Server struct {
	*stubnode.Load
	*stubnode.HTTP
	opts Options

	mu      sync.Mutex
	clients map[string]int64
}

// New returns a stand-in that is not listening yet.
func New(o Options) *Server {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.DevInspect <= 0 {
		o.DevInspect = 2 * time.Second
	}
	if o.DryRun <= 0 {
		o.DryRun = time.Second
	}
	s := &Server{Load: stubnode.NewLoad(o.Workers), opts: o, clients: map[string]int64{}}
	mux := http.NewServeMux()
	for _, p := range []string{"/{$}", "/json-rpc", "/public"} {
		mux.HandleFunc("POST "+p, s.rpc)
	}
	s.HTTP = stubnode.NewHTTP(mux, s.Load)
	return s
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Counts: s.Counts(), Clients: maps.Clone(s.clients)}
}

// StatsHandler serves Stats as JSON (the command serves it on the metrics
// address, where iota-node serves its Prometheus metrics).
func (s *Server) StatsHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Stats())
}

// maxBody is axum's default body limit.
const maxBody = 2_000_000

func (s *Server) rpc(w http.ResponseWriter, r *http.Request) {
	if !jsonContentType(r.Header.Get("Content-Type")) {
		text(w, http.StatusUnsupportedMediaType, "Expected request with `Content-Type: application/json`")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		return
	case len(body) > maxBody:
		text(w, http.StatusRequestEntityTooLarge, "Failed to buffer the request body: length limit exceeded")
		return
	case !json.Valid(body):
		text(w, http.StatusBadRequest, "Failed to parse the request body as JSON")
		return
	}
	client := s.clientID(r)
	var answer any
	switch trimmed := bytes.TrimLeft(body, " \t\r\n"); trimmed[0] {
	case '{':
		answer = s.call(r.Context(), body, client)
	case '[':
		answer = s.batch(r.Context(), body, client)
	default:
		answer = failure(nil, -32600, "Invalid request")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(answer)
}

// jsonContentType is axum's check: application/json or application/*+json.
func jsonContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func (s *Server) batch(ctx context.Context, body []byte, client string) any {
	if !s.opts.Batches {
		return failure(nil, -32005, "Batched requests are not supported by this server")
	}
	var elems []json.RawMessage
	json.Unmarshal(body, &elems)
	answers := make([]any, 0, len(elems))
	for _, e := range elems {
		answers = append(answers, s.call(ctx, e, client))
	}
	return answers
}

// call decodes one request object and computes it on a worker (unless its
// client left before one was free: the node drops the call's future).
func (s *Server) call(ctx context.Context, raw []byte, client string) any {
	req, err := decodeRequest(raw)
	if err != nil {
		return failure(req.ID, -32600, "Invalid request")
	}
	work, ok := s.methods()[req.Method]
	if !ok {
		return failure(req.ID, -32601, "Method not found")
	}
	s.mu.Lock()
	s.clients[client]++
	s.mu.Unlock()
	var result any
	s.RunUnlessGone(ctx, req.Method, func() { result = work() })
	return map[string]any{"jsonrpc": "2.0", "result": result, "id": req.ID}
}

// methods are the calls the stand-in knows, with their cost.
func (s *Server) methods() map[string]func() any {
	hold := func(d time.Duration, result any) func() any {
		return func() any { time.Sleep(d); return result }
	}
	m := map[string]func() any{
		DevInspect: hold(s.opts.DevInspect, map[string]any{"effects": map[string]any{"status": map[string]any{"status": "success"}}, "results": []any{}}),
		DryRun:     hold(s.opts.DryRun, map[string]any{"effects": map[string]any{"status": map[string]any{"status": "success"}}}),
	}
	for _, name := range KnownMethods {
		if _, ok := m[name]; !ok {
			m[name] = hold(0, "1234")
		}
	}
	return m
}

func failure(id any, code int, msg string) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "error": map[string]any{"code": code, "message": msg}, "id": id}
}

func text(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg)
}
