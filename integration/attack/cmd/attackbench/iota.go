package main

import (
	"fmt"
	"time"

	"harden/integration/attack"
	"harden/integration/iotastub"
)

// runIota measures the wallet's iota_getLatestCheckpointSequenceNumber
// under dev-inspect calls from many addresses, against the bare stand-in
// node and through harden's JSON-RPC gateway (attack.RPCProfile).
func runIota(sources int, devInspect time.Duration, workers int) error {
	a := attack.RPCAttack{Sources: attack.Sources(sources), GiveUp: time.Second, Dur: 5 * time.Second, Interval: 50 * time.Millisecond}
	newStub := func() (*iotastub.Server, error) {
		s := iotastub.New(iotastub.Options{Workers: workers, DevInspect: devInspect})
		return s, s.Listen("127.0.0.1:0")
	}
	c, err := compare(newStub, attack.RPCProfile, a.Run)
	if err != nil {
		return err
	}
	rd, rp := c.direct, c.proxied
	sd, sp := c.directNode.Stats(), c.proxiedNode.Stats()

	fmt.Printf("\niota-node: dev-inspect calls of %v from %d addresses (127.0.1.x), each given up after %v, node with %d workers;\n"+
		"wallet on 127.0.0.3 calls iota_getLatestCheckpointSequenceNumber every %v for %v\n\n",
		devInspect, sources, a.GiveUp, workers, a.Interval, a.Dur)
	fmt.Printf("%-16s %10s %10s %8s %9s %10s %12s\n", "", "p50", "p99", "calls", "failures", "node busy", "dev-inspects")
	row := func(name string, r attack.Result, s iotastub.Stats) {
		fmt.Printf("%-16s %10v %10v %8d %9d %10d %12d\n", name, r.Legit.Percentile(0.5).Round(time.Microsecond),
			r.Legit.Percentile(0.99).Round(time.Microsecond), len(r.Legit.Samples), r.Legit.Failures, s.PeakBusy, s.Served[iotastub.DevInspect])
	}
	row("without gateway", rd, sd)
	row("with gateway", rp, sp)
	fmt.Printf("\nattackers behind the gateway, by status (0 = gave up): %v\n", rp.AttackerStatus)
	return nil
}
