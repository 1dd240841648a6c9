//go:build root || attack

package attack

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"harden/integration/iristub"
	"harden/modules/haproxy"
)

const (
	workers  = 4
	slowWalk = 2 * time.Second
	attackN  = 12
)

var attack = Attack{N: attackN, GiveUp: time.Second, Dur: 3 * time.Second, Interval: 50 * time.Millisecond}

func startStub(t *testing.T) *iristub.Server {
	t.Helper()
	return startStubIn(t, nil)
}

// startStubIn starts the stub node on loopback in a namespace (nil: the
// host's).
func startStubIn(t *testing.T, ns *Netns) *iristub.Server {
	t.Helper()
	stub := iristub.New(iristub.Options{Workers: workers, SlowReference: slowWalk})
	listen := func() error { return stub.Listen("127.0.0.1:0") }
	var err error
	if ns != nil {
		err = ns.Do(listen)
	} else {
		err = listen()
	}
	if err != nil {
		t.Fatal(err)
	}
	stopWhenIdle(t, stub)
	return stub
}

// stopWhenIdle closes a stand-in node at the end of the test, once its
// workers are done (bounded).
func stopWhenIdle(t *testing.T, stub interface {
	WaitIdle(context.Context) error
	Close() error
}) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		stub.WaitIdle(ctx)
		stub.Close()
	})
}

// TestWithoutProxyTheNodeStalls reproduces the seed: slow calls take every
// worker, a wallet's getNodeInfo waits behind them, sockets pile up.
func TestWithoutProxyTheNodeStalls(t *testing.T) {
	stub := startStub(t)
	res := attack.Run(stub.Addr())
	st := stub.Stats()
	t.Logf("no proxy: legit p50=%v p99=%v samples=%d failures=%d; stub peak conns=%d peak busy=%d",
		res.Legit.Percentile(0.5), res.Legit.Percentile(0.99), len(res.Legit.Samples), res.Legit.Failures, st.PeakConns, st.PeakBusy)
	if p50 := res.Legit.Percentile(0.5); p50 < slowWalk/2 {
		t.Errorf("legit getNodeInfo p50 = %v without the proxy; the attack should stall it (>= %v)", p50, slowWalk/2)
	}
	if st.PeakConns < attackN {
		t.Errorf("stub peak connections = %d, want >= %d (one per attacker)", st.PeakConns, attackN)
	}
	if st.PeakBusy != workers {
		t.Errorf("stub peak busy workers = %d, want all %d", st.PeakBusy, workers)
	}
}

func startProxy(t *testing.T, stub *iristub.Server) *Proxy {
	t.Helper()
	return startProxyWith(t, stub, Profile)
}

// startProxyWith runs haproxy on the rendering of a profile's haproxy block.
func startProxyWith(t *testing.T, stub *iristub.Server, profile string) *Proxy {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	s, err := SettingsFromProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	return startProxyIn(t, nil, stub.Addr(), s)
}

// startProxyIn runs haproxy on the rendering of s in a namespace (nil: the
// host's).
func startProxyIn(t *testing.T, ns *Netns, nodeAddr string, s haproxy.Settings) *Proxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := StartProxyIn(ctx, ns, t.TempDir(), s, nodeAddr)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		cancel()
		if t.Failed() {
			t.Logf("haproxy log:\n%s", p.Log())
		}
	})
	return p
}

// TestWithProxyTheNodeSurvives runs the same attack through harden's
// HAProxy: the wallet stays fast and the node's sockets stay bounded.
func TestWithProxyTheNodeSurvives(t *testing.T) {
	stub := startStub(t)
	p := startProxy(t, stub)
	stub.ResetPeaks()
	res := attack.Run(p.Addr)
	st := stub.Stats()
	bound := int64(p.Settings.NodeMaxConn + p.Settings.HeavyMaxConn)
	t.Logf("proxy: legit p50=%v p99=%v samples=%d failures=%d; stub peak conns=%d (bound %d) peak busy=%d; attackers %v",
		res.Legit.Percentile(0.5), res.Legit.Percentile(0.99), len(res.Legit.Samples), res.Legit.Failures,
		st.PeakConns, bound, st.PeakBusy, res.AttackerStatus)
	if res.Legit.Failures != 0 {
		t.Errorf("%d of %d legit calls failed", res.Legit.Failures, len(res.Legit.Samples))
	}
	if p99 := res.Legit.Percentile(0.99); p99 > 500*time.Millisecond {
		t.Errorf("legit getNodeInfo p99 = %v behind the proxy, want <= 500ms", p99)
	}
	if st.PeakConns > bound {
		t.Errorf("stub peak connections = %d, want <= node_maxconn+heavy_maxconn = %d", st.PeakConns, bound)
	}
	if n := st.Served["getTransactionsToApprove"]; n > 2 {
		t.Errorf("%d slow walks reached the node, want at most 2 (heavy_maxconn 1 over %v)", n, attack.Dur)
	}
	// One address: one walk in flight (it gives up: status 0), the others
	// refused at once (429, or at connect beyond max_conn_per_ip: 0),
	// never queued in front of everyone else (503).
	if st := res.AttackerStatus; st[http.StatusTooManyRequests] == 0 || st[http.StatusServiceUnavailable]+st[http.StatusOK] > 0 {
		t.Errorf("attackers: %v, want the extra calls refused at once (429), none queued (503) or served", st)
	}
	// The node's slot stays taken after the attackers gave up: once the
	// walk finishes, the log shows the full node time, not a cut one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stub.WaitIdle(ctx)
	time.Sleep(200 * time.Millisecond)
	if !strings.Contains(p.Log(), "cmd=getTransactionsToApprove verdict=pass") ||
		!strings.Contains(p.Log(), "iri_heavy/node") {
		t.Errorf("no log line for the slow walk on iri_heavy")
	}
}

// TestProxyPolicies probes each request policy once.
func TestProxyPolicies(t *testing.T) {
	stub := startStub(t)
	p := startProxy(t, stub)
	c := Client(ProbeIP, 5*time.Second, true)
	big := `{"command":"getNodeInfo","x":"` + strings.Repeat("A", 70000) + `"}`
	cases := []struct {
		name string
		body string
		hdr  map[string]string
		want int
	}{
		{"legit", NodeInfo, nil, 200},
		{"proof of work", PoW, nil, 403},
		{"escaped command", Escaped, nil, 403},
		{"addNeighbors", Neighbors, nil, 403},
		{"unknown command", `{"command":"getLedgerDump"}`, nil, 403},
		{"no command", `{"x":"getNodeInfo"}`, nil, 403},
		{"comment", Comment, nil, 400},
		{"duplicate command", Duplicate, nil, 400},
		{"single quotes", `{'command':'getNodeInfo'}`, nil, 403},
		{"nested object", `{"command":"getNodeInfo","x":{"command":"attachToTangle"}}`, nil, 400},
		{"no API version", NodeInfo, map[string]string{"X-IOTA-API-Version": ""}, 400},
		{"text body", NodeInfo, map[string]string{"Content-Type": "text/plain"}, 415},
		{"oversized", big, nil, 413},
	}
	for _, tc := range cases {
		got, err := Call(c, p.Addr, tc.body, tc.hdr)
		if got != tc.want {
			t.Errorf("%s: status %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}
	if got := method(t, c, p.Addr, http.MethodGet); got.StatusCode != 405 {
		t.Errorf("GET: status %d, want 405", got.StatusCode)
	}
	if got := method(t, c, p.Addr, http.MethodOptions); got.StatusCode != 204 ||
		got.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(got.Header.Get("Access-Control-Allow-Headers"), "X-IOTA-API-Version") {
		t.Errorf("OPTIONS: %d %v", got.StatusCode, got.Header)
	}
	served := stub.Stats().Served
	if served["attachToTangle"]+served["addNeighbors"] != 0 || served["getNodeInfo"] != 1 {
		t.Errorf("the node served %v; only the one legit getNodeInfo should reach it", served)
	}
	if mode, err := p.AdminSocketMode(); err != nil || mode != 0o600 {
		t.Errorf("admin socket mode = %v (%v), want 0600", mode, err)
	}
	time.Sleep(200 * time.Millisecond) // let haproxy flush its log lines
	log := p.Log()
	for _, want := range []string{"cmd=getNodeInfo verdict=pass status=200", "cmd=attachToTangle verdict=remote-limited status=403",
		"cmd=getLedgerDump verdict=not-allowed status=403", "verdict=ambiguous-command status=400", "node_ms="} {
		if !strings.Contains(log, want) {
			t.Errorf("haproxy log lacks %q", want)
		}
	}
	if strings.Contains(log, "AAAAAAAA") || strings.Contains(log, "trunkTransaction") {
		t.Error("haproxy log holds request bodies")
	}
}

func method(t *testing.T, c *http.Client, addr, m string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(m, "http://"+addr+"/", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	resp.Body.Close()
	return resp
}

// TestProxyLimitsAddresses: the attacker's address is rate limited and its
// concurrent connections capped; a slow body is cut.
func TestProxyLimitsAddresses(t *testing.T) {
	stub := startStub(t)
	p := startProxy(t, stub)

	// Request rate: max_requests_per_ip per 10s, then 429.
	c := Client(AttackerIP, 2*time.Second, true)
	limited := 0
	for i := 0; i < p.Settings.MaxRequestsPerIP+15; i++ {
		if st, _ := Call(c, p.Addr, NodeInfo, nil); st == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 10 {
		t.Errorf("%d of %d rapid calls were rate limited, want >= 10", limited, p.Settings.MaxRequestsPerIP+15)
	}
	if ok, _ := Call(Client(LegitIP, 2*time.Second, false), p.Addr, NodeInfo, nil); ok != 200 {
		t.Errorf("another address is limited too: %d", ok)
	}

	// Concurrent connections from one address beyond max_conn_per_ip.
	src := net.IPv4(127, 0, 0, 5)
	limit := p.Settings.MaxConnPerIP
	var conns []net.Conn
	for i := 0; i < limit+3; i++ {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: time.Second}
		cn, err := d.Dial("tcp", p.Addr)
		if err != nil {
			continue
		}
		conns = append(conns, cn)
		time.Sleep(5 * time.Millisecond)
	}
	answered := 0
	for _, cn := range conns {
		fmt.Fprintf(cn, "POST / HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\nX-IOTA-API-Version: 1\r\nContent-Length: %d\r\n\r\n%s", len(NodeInfo), NodeInfo)
		cn.SetReadDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(cn).ReadString('\n')
		if err == nil && strings.HasPrefix(line, "HTTP/1.1 200") {
			answered++
		}
		cn.Close()
	}
	if answered != limit {
		t.Errorf("%d of %d concurrent connections from one address were served, want max_conn_per_ip = %d", answered, limit+3, limit)
	}

	// A body that never completes is cut after http_request_timeout (1s).
	cn, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	start := time.Now()
	fmt.Fprint(cn, "POST / HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\nX-IOTA-API-Version: 1\r\nContent-Length: 100\r\n\r\n{\"command\":")
	cn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(cn).ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 408") || time.Since(start) > 3*time.Second {
		t.Errorf("slow body: got %q after %v, want 408 within ~1s", line, time.Since(start))
	}
}

// TestProxyServesOnlyTheAPIPath: only the API's own path reaches the node;
// every other path, a query string or an encoded variant is refused at the
// proxy. Requests are written raw so no client library normalises them.
func TestProxyServesOnlyTheAPIPath(t *testing.T) {
	stub := startStub(t)
	p := startProxy(t, stub)
	refused := []string{"/api/v1", "//", "/?x", "/?", "/%2F", "/%2f", "/%2e", "/./", "/.", "/..", "/debug",
		"/%00", "/;x", "/\\", "*", "/index.html", "http://node.example/api/v1", "http://node.example//"}
	for _, target := range refused {
		if st := rawStatus(t, p.Addr, "POST", target); st != http.StatusNotFound && st != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 404 (or HAProxy's own 400)", target, st)
		}
	}
	if st := rawStatus(t, p.Addr, "OPTIONS", "/api/v1"); st != http.StatusNotFound {
		t.Errorf("OPTIONS /api/v1: status %d, want 404", st)
	}
	if n := stub.Stats().Served["getNodeInfo"]; n != 0 {
		t.Errorf("%d calls on other paths reached the node", n)
	}
	for _, target := range []string{"/", "http://node.example/"} {
		if st := rawStatus(t, p.Addr, "POST", target); st != http.StatusOK {
			t.Errorf("POST %s: status %d, want 200", target, st)
		}
	}
	time.Sleep(200 * time.Millisecond) // let haproxy flush its log lines
	if !strings.Contains(p.Log(), "verdict=bad-path status=404") {
		t.Error("haproxy log lacks verdict=bad-path")
	}
}

// rawStatus sends one getNodeInfo with the request target written as is
// and returns the response status (0 when there was none).
func rawStatus(t *testing.T, addr, method, target string) int {
	t.Helper()
	return rawRequestStatus(t, addr, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: node.example\r\nContent-Type: application/json\r\nX-IOTA-API-Version: 1\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", method, target, len(NodeInfo), NodeInfo))
}
