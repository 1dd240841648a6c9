package iotastub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(o)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.WaitIdle(ctx)
		s.Close()
	})
	return s
}

// post sends body and returns the status and the decoded JSON answer (nil
// when it is not JSON).
func post(t *testing.T, s *Server, path, body string, hdr map[string]string) (int, any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.Addr()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v any
	json.Unmarshal(data, &v)
	return resp.StatusCode, v
}

func errorCode(v any) float64 {
	m, _ := v.(map[string]any)
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(float64)
	return code
}

// The stand-in answers the way iota-node does where a proxy in front of it
// matters.
func TestAnswersLikeIotaNode(t *testing.T) {
	s := start(t, Options{})
	call := func(method string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":[]}`
	}
	tests := []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		code             float64 // JSON-RPC error code, 0 for a result
	}{
		{"cheap call", "/", call(LatestCheckpoint), nil, 200, 0},
		{"other route", "/json-rpc", call(LatestCheckpoint), nil, 200, 0},
		{"not a route", "/api/v1", call(LatestCheckpoint), nil, 404, 0},
		{"text body", "/", call(LatestCheckpoint), map[string]string{"Content-Type": "text/plain"}, 415, 0},
		{"invalid JSON", "/", `{"jsonrpc":"2.0",`, nil, 400, 0},
		{"batch refused", "/", "[" + call(LatestCheckpoint) + "]", nil, 200, -32005},
		{"method case", "/", call("IOTA_getLatestCheckpointSequenceNumber"), nil, 200, -32601},
		{"unknown method", "/", call("iota_nope"), nil, 200, -32601},
		{"duplicate field", "/", `{"jsonrpc":"2.0","id":1,"method":"iota_getChainIdentifier","method":"iota_getChainIdentifier"}`, nil, 200, -32600},
		{"no version", "/", `{"id":1,"method":"iota_getChainIdentifier"}`, nil, 200, -32600},
		{"escaped method is decoded", "/", call(`iota_\u0067etChainIdentifier`), nil, 200, 0},
	}
	for _, tt := range tests {
		status, v := post(t, s, tt.path, tt.body, tt.hdr)
		if status != tt.status || errorCode(v) != tt.code {
			t.Errorf("%s: status %d, error %v; want %d, %v", tt.name, status, errorCode(v), tt.status, tt.code)
		}
	}
	if n := s.Stats().Served["iota_getChainIdentifier"]; n != 1 {
		t.Errorf("the escaped name reached iota_getChainIdentifier %d times, want 1", n)
	}
}

// With batches on, every element is computed (what a proxy must check).
func TestBatches(t *testing.T) {
	s := start(t, Options{Batches: true, DryRun: time.Millisecond})
	_, v := post(t, s, "/", `[{"jsonrpc":"2.0","id":1,"method":"`+LatestCheckpoint+`"},{"jsonrpc":"2.0","id":2,"method":"`+DryRun+`"}]`, nil)
	if list, _ := v.([]any); len(list) != 2 || s.Stats().Served[DryRun] != 1 {
		t.Errorf("batch answer %v, served %v", v, s.Stats().Served)
	}
}

// A client that gives up on dev-inspect frees nothing: the worker stays
// busy, and a cheap call waits behind it.
func TestDevInspectOutlivesItsClient(t *testing.T) {
	s := start(t, Options{Workers: 1, DevInspect: 600 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.Addr()+"/",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"`+DevInspect+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("dev-inspect answered within 100ms")
	}
	if b := s.Stats().Busy; b != 1 {
		t.Errorf("busy workers after the client left: %d, want 1", b)
	}
	begin := time.Now()
	post(t, s, "/", `{"jsonrpc":"2.0","id":1,"method":"`+LatestCheckpoint+`"}`, nil)
	if d := time.Since(begin); d < 300*time.Millisecond {
		t.Errorf("the cheap call took %v with the only worker busy; want it to wait", d)
	}
}

// Behind a proxy, the client is taken from the first X-Forwarded-For
// header, hops entries from its end.
func TestClientFromXForwardedFor(t *testing.T) {
	s := start(t, Options{ProxyHops: 1})
	body := `{"jsonrpc":"2.0","id":1,"method":"` + LatestCheckpoint + `"}`
	post(t, s, "/", body, map[string]string{"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
	post(t, s, "/", body, nil)
	got := s.Stats().Clients
	if got["203.0.113.9"] != 1 || got[""] != 1 || len(got) != 2 {
		t.Errorf("clients %v", got)
	}
}

// The command binds what fullnode.yaml says, with iota-node's defaults.
func TestLoadConfig(t *testing.T) {
	path := t.TempDir() + "/fullnode.yaml"
	os.WriteFile(path, []byte("json-rpc-address: \"127.0.0.1:9000\"\npolicy-config:\n  client-id-source:\n    x-forwarded-for: 1\n"), 0o644)
	c, err := LoadConfig(path)
	if err != nil || c.JSONRPCAddress != "127.0.0.1:9000" || c.MetricsAddress != "0.0.0.0:9184" || c.ProxyHops() != 1 {
		t.Errorf("%+v %v", c, err)
	}
	os.WriteFile(path, []byte("policy-config:\n  client-id-source: socket-addr\n"), 0o644)
	if c, err := LoadConfig(path); err != nil || c.ProxyHops() != 0 || c.JSONRPCAddress != "0.0.0.0:9000" {
		t.Errorf("%+v %v", c, err)
	}
}
