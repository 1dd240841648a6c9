//go:build root || attack

package attack

import (
	"net/http"
	"os/exec"
	"testing"
	"time"

	"harden/integration/iotastub"
)

const (
	rpcWorkers    = 2 // a small node: one runtime worker per core
	rpcDevInspect = 2 * time.Second
)

var rpcAttack = RPCAttack{Sources: Sources(16), GiveUp: time.Second, Dur: 3 * time.Second, Interval: 50 * time.Millisecond}

func startIotaStub(t *testing.T, o iotastub.Options) *iotastub.Server {
	t.Helper()
	if o.Workers == 0 {
		o.Workers = rpcWorkers
	}
	if o.DevInspect == 0 {
		o.DevInspect = rpcDevInspect
	}
	stub := iotastub.New(o)
	if err := stub.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	stopWhenIdle(t, stub)
	return stub
}

// startGateway runs haproxy on the rendering of a profile's haproxy block
// in front of a node at addr.
func startGateway(t *testing.T, addr, profile string) *Proxy {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	s, err := SettingsFromProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	return startProxyIn(t, nil, addr, s)
}

// TestJSONRPCWithoutGatewayTheNodeStalls: dev-inspect from many sources
// takes every worker of the node, and the wallet's cheap call waits
// behind it.
func TestJSONRPCWithoutGatewayTheNodeStalls(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{})
	res := rpcAttack.Run(stub.Addr())
	st := stub.Stats()
	t.Logf("no gateway: legit p50=%v p99=%v samples=%d failures=%d; node peak busy=%d, dev-inspects computed=%d",
		res.Legit.Percentile(0.5), res.Legit.Percentile(0.99), len(res.Legit.Samples), res.Legit.Failures, st.PeakBusy, st.Served[iotastub.DevInspect])
	if p50 := res.Legit.Percentile(0.5); p50 < rpcDevInspect/4 {
		t.Errorf("legit p50 = %v without the gateway; the attack should stall it (>= %v)", p50, rpcDevInspect/4)
	}
	if st.PeakBusy != rpcWorkers {
		t.Errorf("node peak busy workers = %d, want all %d", st.PeakBusy, rpcWorkers)
	}
}

// TestJSONRPCGatewayKeepsLegitFast: the same attack through harden's
// gateway. At most one dev-inspect computes at a time, so a worker stays
// free and the wallet's call keeps a bounded latency.
func TestJSONRPCGatewayKeepsLegitFast(t *testing.T) {
	stub := startIotaStub(t, iotastub.Options{})
	p := startGateway(t, stub.Addr(), RPCProfile)
	stub.ResetPeaks()
	res := rpcAttack.Run(p.Addr)
	st := stub.Stats()
	t.Logf("gateway: legit p50=%v p99=%v samples=%d failures=%d; node peak busy=%d, dev-inspects computed=%d; attackers %v",
		res.Legit.Percentile(0.5), res.Legit.Percentile(0.99), len(res.Legit.Samples), res.Legit.Failures,
		st.PeakBusy, st.Served[iotastub.DevInspect], res.AttackerStatus)
	if res.Legit.Failures != 0 {
		t.Errorf("%d of %d legit calls failed", res.Legit.Failures, len(res.Legit.Samples))
	}
	if p99 := res.Legit.Percentile(0.99); p99 > 500*time.Millisecond {
		t.Errorf("legit p99 = %v behind the gateway, want <= 500ms", p99)
	}
	// heavy_maxconn 1: one dev-inspect at a time, back to back at most.
	if n, most := st.Served[iotastub.DevInspect], int64(rpcAttack.Dur/rpcDevInspect)+1; n > most {
		t.Errorf("%d dev-inspects reached the node in %v, want at most %d", n, rpcAttack.Dur, most)
	}
	if st.PeakBusy == rpcWorkers && st.Served[iotastub.LatestCheckpoint] == 0 {
		t.Errorf("every node worker was busy")
	}
	if st := res.AttackerStatus; st[http.StatusTooManyRequests]+st[http.StatusServiceUnavailable] == 0 {
		t.Errorf("attackers: %v, want refusals (429 per client, 503 from the full heavy queue)", st)
	}
}
