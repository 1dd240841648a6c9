package attack

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"harden/integration/iotastub"
)

// The JSON-RPC scenario: iota-node behind harden's gateway. Attackers
// call iota_devInspectTransactionBlock from many loopback addresses
// (127.0.1.1 and on), a wallet calls iota_getLatestCheckpointSequenceNumber
// from 127.0.0.3.

// RPCProfile is the gateway the JSON-RPC attack runs against: harden's
// defaults, with timeouts scaled to a short, bounded attack.
const RPCProfile = `haproxy {
  api                  = "iota-json-rpc"
  heavy_queue_timeout  = "500ms"
  heavy_timeout        = "30s"
  http_request_timeout = "1s"
}`

// RPC returns a JSON-RPC 2.0 request body for method with the given params
// (JSON text; "" for none).
func RPC(method, params string) string {
	if params == "" {
		params = "[]"
	}
	return `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":` + params + `}`
}

// Bodies of the JSON-RPC scenario.
var (
	Checkpoint = RPC(iotastub.LatestCheckpoint, "")
	// DevInspectCall is a dev-inspect the way an SDK sends one: a sender
	// and a base64 TransactionKind.
	DevInspectCall = RPC(iotastub.DevInspect, `["0x0000000000000000000000000000000000000000000000000000000000000001","AAACAQ=="]`)
)

// CallRPC posts a JSON-RPC body as an SDK does and returns the status and
// the answer (status 0 when the connection failed or timed out).
func CallRPC(c *http.Client, addr, body string, hdr map[string]string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer), err
}

// Sources are n loopback addresses, 127.0.1.1 and on: as many clients as
// the per-address limits see.
func Sources(n int) []net.IP {
	out := make([]net.IP, n)
	for i := range out {
		out[i] = net.IPv4(127, 0, 1, byte(i+1))
	}
	return out
}

// RPCAttack is one run: from each source, dev-inspect calls one after the
// other, each given up after GiveUp (the node keeps computing), while a
// wallet calls iota_getLatestCheckpointSequenceNumber every Interval for
// Dur.
type RPCAttack struct {
	Sources  []net.IP
	GiveUp   time.Duration
	Dur      time.Duration
	Interval time.Duration
}

// Run performs the attack against addr.
func (a RPCAttack) Run(addr string) Result {
	res := Result{AttackerStatus: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	end := time.Now().Add(a.Dur)
	for _, src := range a.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Client(src, a.GiveUp, true)
			for time.Now().Before(end) {
				st, _, _ := CallRPC(c, addr, DevInspectCall, nil)
				mu.Lock()
				res.AttackerStatus[st]++
				mu.Unlock()
				if st != 0 {
					// Answered at once (refused): no tight loop.
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	res.Legit = legitCalls(a.Dur, a.Interval, func(c *http.Client) (int, error) {
		st, _, err := CallRPC(c, addr, Checkpoint, nil)
		return st, err
	})
	wg.Wait()
	return res
}
