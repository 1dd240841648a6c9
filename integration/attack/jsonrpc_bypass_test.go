//go:build root || attack

package attack

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"harden/integration/iotastub"
)

// bypass is one attempt to get a request past the gateway that the gateway
// and the node might read apart.
type bypass struct {
	name   string
	body   string
	hdr    map[string]string
	status int
	// answer, when set, must be in the answer's body.
	answer string
}

const (
	devInspect = iotastub.DevInspect
	chainID    = "iota_getChainIdentifier"
)

func checkBypasses(t *testing.T, addr string, cases []bypass) {
	t.Helper()
	c := Client(ProbeIP, 5*time.Second, true)
	for _, tc := range cases {
		st, answer, err := CallRPC(c, addr, tc.body, tc.hdr)
		if st != tc.status || !strings.Contains(answer, tc.answer) {
			t.Errorf("%s: status %d (%v) %.200q, want %d with %q", tc.name, st, err, answer, tc.status, tc.answer)
		}
	}
}

// TestJSONRPCBypasses sends what could smuggle a method past the allowlist
// or the heavy backend; none of it reaches the node as anything but the
// method the gateway checked.
func TestJSONRPCBypasses(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{DevInspect: 10 * time.Millisecond})
	p := startGateway(t, stub.Addr(), RPCProfile)
	deep := RPC(chainID, strings.Repeat("[", 5000)+strings.Repeat("]", 5000))
	large := RPC("iota_executeTransactionBlock", `["`+strings.Repeat("A", 240<<10)+`",["B"]]`)
	checkBypasses(t, p.Addr, []bypass{
		{name: "legit", body: Checkpoint, status: 200, answer: `"result"`},
		{name: "largest legit transaction", body: large, status: 200},
		{name: "transaction builder", body: RPC("unsafe_moveCall", ""), status: 403},
		{name: "method in upper case", body: RPC("IOTA_devInspectTransactionBlock", ""), status: 403},
		{name: "method in lower case", body: RPC("iota_devinspecttransactionblock", ""), status: 403},
		{name: "lookalike letter", body: RPC("iota_d\u0435vInspectTransactionBlock", ""), status: 403},
		{name: "padded method", body: RPC(" "+chainID, ""), status: 403},
		{name: "escape in method", body: RPC(`iota_\u0064evInspectTransactionBlock`, ""), status: 400},
		{name: "escape in the allowed half", body: RPC(`iota_\u0067etChainIdentifier`, ""), status: 400},
		{name: "escaped key", body: `{"jsonrpc":"2.0","id":1,"\u006dethod":"` + devInspect + `"}`, status: 400},
		{name: "allowed then heavy", body: `{"jsonrpc":"2.0","id":1,"method":"` + chainID + `","method":"` + devInspect + `"}`, status: 400},
		{name: "heavy then allowed", body: `{"jsonrpc":"2.0","id":1,"method":"` + devInspect + `","method":"` + chainID + `"}`, status: 400},
		{name: "allowed then builder", body: `{"jsonrpc":"2.0","method":"` + chainID + `","id":1,"method":"unsafe_publish"}`, status: 400},
		{name: "Method key", body: `{"jsonrpc":"2.0","id":1,"Method":"` + chainID + `"}`, status: 400},
		{name: "method not a string", body: `{"jsonrpc":"2.0","id":1,"method":["` + chainID + `"]}`, status: 400},
		{name: "method deeper, allowed on top", body: RPC(chainID, `[{"method":"`+devInspect+`"}]`), status: 200},
		{name: "batch", body: "[" + Checkpoint + "]", status: 200, answer: `"code":-32005`},
		{name: "batch smuggling dev-inspect", body: "[" + Checkpoint + "," + DevInspectCall + "]", status: 200, answer: `"code":-32005`},
		{name: "comment", body: Checkpoint + "/* " + DevInspectCall + " */", status: 400},
		{name: "trailing garbage", body: Checkpoint + DevInspectCall, status: 400},
		{name: "trailing comma", body: `{"jsonrpc":"2.0","id":1,"method":"` + chainID + `",}`, status: 400},
		{name: "single quotes", body: `{'jsonrpc':'2.0','id':1,'method':'` + chainID + `'}`, status: 400},
		{name: "byte order mark", body: "\ufeff" + Checkpoint, status: 400},
		{name: "NaN", body: RPC(chainID, "[NaN]"), status: 400},
		{name: "deep nesting", body: deep, status: 400},
		{name: "oversized", body: RPC(chainID, `["`+strings.Repeat("A", 300<<10)+`"]`), status: 413},
		{name: "text body", body: Checkpoint, hdr: map[string]string{"Content-Type": "text/plain"}, status: 415},
	})
	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"chunked", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(DevInspectCall), DevInspectCall), 411},
		{"chunked and a length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(DevInspectCall), DevInspectCall), 411},
		{"two content types", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(Checkpoint), Checkpoint), 415},
		{"GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
		{"another route", "POST /json-rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(Checkpoint), Checkpoint), 404},
		{"query string", "POST /?x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(Checkpoint), Checkpoint), 404},
	} {
		if st := rawRequestStatus(t, p.Addr, tc.request); st != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, st, tc.status)
		}
	}
	served := stub.Stats().Served
	if served[devInspect]+served["unsafe_moveCall"]+served["unsafe_publish"] != 0 || served[chainID] != 1 ||
		served[iotastub.LatestCheckpoint] != 1 || served["iota_executeTransactionBlock"] != 1 {
		t.Errorf("the node computed %v; only the three legit calls should reach it", served)
	}
}

// rawRequestStatus writes an HTTP request as given and returns the answer's
// status.
func rawRequestStatus(t *testing.T, addr, request string) int {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ProbeIP}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestJSONRPCBatchElements: with max_batch set (for a node that serves
// batches), every element is checked and the batch size is capped.
func TestJSONRPCBatchElements(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{Batches: true, DevInspect: 10 * time.Millisecond})
	p := startGateway(t, stub.Addr(), "haproxy {\n  api = \"iota-json-rpc\"\n  max_batch = 3\n}")
	batch := func(elems ...string) string { return "[" + strings.Join(elems, ",") + "]" }
	checkBypasses(t, p.Addr, []bypass{
		{name: "two light calls", body: batch(Checkpoint, Checkpoint), status: 200, answer: `"result"`},
		{name: "dev-inspect second", body: batch(Checkpoint, DevInspectCall), status: 403},
		{name: "dev-inspect third", body: batch(Checkpoint, Checkpoint, DevInspectCall), status: 403},
		{name: "builder in a batch", body: batch(Checkpoint, RPC("unsafe_moveCall", "")), status: 403},
		{name: "over the cap", body: batch(Checkpoint, Checkpoint, Checkpoint, Checkpoint), status: 400},
		{name: "element without a method", body: batch(Checkpoint, `{"jsonrpc":"2.0","id":2}`), status: 400},
		{name: "element with two methods", body: batch(Checkpoint, `{"jsonrpc":"2.0","id":2,"method":"`+chainID+`","method":"`+devInspect+`"}`), status: 400},
		{name: "nested batch", body: batch(batch(DevInspectCall)), status: 400},
		{name: "empty batch", body: "[]", status: 400},
		{name: "dev-inspect alone", body: DevInspectCall, status: 200},
	})
	served := stub.Stats().Served
	if served[iotastub.LatestCheckpoint] != 2 || served[devInspect] != 1 || served["unsafe_moveCall"] != 0 {
		t.Errorf("the node computed %v; want the first batch's two calls and the lone dev-inspect", served)
	}
}

// TestJSONRPCHeavyPerClient: one client gets one dev-inspect at a time and
// heavy_requests_per_ip of them per period; another client is not held up
// by it.
func TestJSONRPCHeavyPerClient(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{DevInspect: 300 * time.Millisecond})
	p := startGateway(t, stub.Addr(), "haproxy {\n  api = \"iota-json-rpc\"\n  heavy_requests_per_ip = 3\n  heavy_queue_timeout = \"2s\"\n}")
	c := Client(AttackerIP, 5*time.Second, false)
	statuses := make(chan int, 3)
	for i := 0; i < 3; i++ {
		go func() { st, _, _ := CallRPC(c, p.Addr, DevInspectCall, nil); statuses <- st }()
	}
	got := map[int]int{}
	for i := 0; i < 3; i++ {
		got[<-statuses]++
	}
	if got[200] != 1 || got[429] != 2 {
		t.Errorf("three at once from one client: %v, want one 200 and two 429", got)
	}
	// Sequential calls: the 429s counted toward the rate too (3 per period).
	if st, _, _ := CallRPC(c, p.Addr, DevInspectCall, nil); st != 429 {
		t.Errorf("fourth dev-inspect within the period: status %d, want 429", st)
	}
	if st, _, _ := CallRPC(Client(LegitIP, 5*time.Second, false), p.Addr, DevInspectCall, nil); st != 200 {
		t.Errorf("another client's dev-inspect: status %d, want 200", st)
	}
}

// TestJSONRPCXForwardedFor: the node's traffic controller, told to trust
// one hop, sees the address the gateway saw, whatever the client wrote.
func TestJSONRPCXForwardedFor(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{ProxyHops: 1})
	p := startGateway(t, stub.Addr(), RPCProfile)
	c := Client(ProbeIP, 5*time.Second, false)
	CallRPC(c, p.Addr, Checkpoint, map[string]string{"X-Forwarded-For": "203.0.113.66"})
	rawRequestStatus(t, p.Addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Forwarded-For: 203.0.113.66\r\n"+
		"X-Forwarded-For: 198.51.100.9, 203.0.113.77\r\n"+fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(Checkpoint), Checkpoint))
	clients := stub.Stats().Clients
	if clients[ProbeIP.String()] != 2 || len(clients) != 1 {
		t.Errorf("the node saw clients %v, want only %s (twice)", clients, ProbeIP)
	}
}

// TestJSONRPCCORS: with an origin list, browsers of those origins get
// their preflight answered and the origin echoed; any other origin is
// refused.
func TestJSONRPCCORS(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{})
	p := startGateway(t, stub.Addr(), "haproxy {\n  api = \"iota-json-rpc\"\n  cors_origins = [\"https://wallet.example\"]\n}")
	c := Client(ProbeIP, 5*time.Second, false)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, "http://"+p.Addr+"/", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := preflight("https://wallet.example"); r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://wallet.example" {
		t.Errorf("preflight from the listed origin: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("https://evil.example"); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", r.StatusCode, r.Header)
	}
	if st, _, _ := CallRPC(c, p.Addr, Checkpoint, map[string]string{"Origin": "https://evil.example"}); st != 403 {
		t.Errorf("a call naming another origin: status %d, want 403", st)
	}
	if st, _, _ := CallRPC(c, p.Addr, Checkpoint, nil); st != 200 {
		t.Errorf("a call without an origin (not a browser): status %d, want 200", st)
	}
}
