// Command attackbench prints the attack's figures: a legitimate wallet's
// getNodeInfo latency (p50/p99) under the slow-walk attack with and without
// harden's HAProxy, the node's open connections, and the proxy's cost on a
// legitimate call (requests per second, direct and proxied); then the same
// for iota-node: iota_getLatestCheckpointSequenceNumber under a
// dev-inspect attack from many addresses, with and without the JSON-RPC
// gateway. Loopback only; bounded in time (about 40 s). Needs the haproxy
// binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"harden/integration/attack"
	"harden/integration/iristub"
	"harden/modules/haproxy"
)

func main() {
	n := flag.Int("attackers", 12, "concurrent slow getTransactionsToApprove calls")
	slow := flag.Duration("slow", 2*time.Second, "how long one slow walk holds a node worker")
	workers := flag.Int("workers", 4, "node worker pool size")
	node := flag.String("node", "both", "which node: iri, iota or both")
	sources := flag.Int("sources", 16, "iota: addresses calling dev-inspect")
	devInspect := flag.Duration("dev-inspect", 2*time.Second, "iota: how long one dev-inspect holds a node worker")
	rpcWorkers := flag.Int("rpc-workers", 2, "iota: the node's runtime workers (one per core)")
	flag.Parse()
	err := error(nil)
	if *node == "iri" || *node == "both" {
		err = run(*n, *slow, *workers)
	}
	if err == nil && (*node == "iota" || *node == "both") {
		err = runIota(*sources, *devInspect, *rpcWorkers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "attackbench:", err)
		os.Exit(1)
	}
}

func run(n int, slow time.Duration, workers int) error {
	a := attack.Attack{N: n, GiveUp: time.Second, Dur: 3 * time.Second, Interval: 50 * time.Millisecond}
	newStub := func() (*iristub.Server, error) {
		s := iristub.New(iristub.Options{Workers: workers, SlowReference: slow})
		return s, s.Listen("127.0.0.1:0")
	}
	c, err := compare(newStub, attack.Profile, a.Run)
	if err != nil {
		return err
	}
	rd, rp, settings := c.direct, c.proxied, c.settings
	sd, sp := c.directNode.Stats(), c.proxiedNode.Stats()

	// The proxy's cost on a legitimate call, one and four clients. The rate
	// limit would count these calls: the trusted-address list is not used
	// here, so stay below it by measuring for a short time.
	fmt.Printf("attack: %d slow walks of %v from 127.0.0.2, node with %d workers; wallet on 127.0.0.3 calls getNodeInfo every %v for %v\n\n",
		n, slow, workers, a.Interval, a.Dur)
	fmt.Printf("%-14s %10s %10s %8s %9s %12s %10s\n", "", "p50", "p99", "calls", "failures", "node conns", "node busy")
	row := func(name string, r attack.Result, s iristub.Stats, bound string) {
		fmt.Printf("%-14s %10v %10v %8d %9d %12s %10d\n", name, r.Legit.Percentile(0.5).Round(time.Microsecond),
			r.Legit.Percentile(0.99).Round(time.Microsecond), len(r.Legit.Samples), r.Legit.Failures,
			fmt.Sprintf("%d%s", s.PeakConns, bound), s.PeakBusy)
	}
	row("without proxy", rd, sd, "")
	row("with proxy", rp, sp, fmt.Sprintf(" (<=%d)", settings.NodeMaxConn+settings.HeavyMaxConn))
	fmt.Printf("\nattackers behind the proxy, by status (0 = refused/reset/gave up): %v\n", rp.AttackerStatus)
	return overhead(workers)
}

// node is what both stand-in nodes offer the benchmark.
type node interface {
	Addr() string
	ResetPeaks()
	WaitIdle(context.Context) error
	Close() error
}

// comparison is one attack run against a bare stand-in node and one
// through haproxy.
type comparison[N node] struct {
	direct, proxied         attack.Result
	directNode, proxiedNode N
	settings                haproxy.Settings
}

// compare runs an attack against a fresh node directly, then against another
// behind haproxy on the profile's haproxy block; both nodes are idle and
// closed when it returns.
func compare[N node](newNode func() (N, error), profile string, run func(addr string) attack.Result) (comparison[N], error) {
	var c comparison[N]
	settle := func(n N) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.WaitIdle(ctx)
		n.Close()
	}
	var err error
	if c.directNode, err = newNode(); err != nil {
		return c, err
	}
	c.direct = run(c.directNode.Addr())
	settle(c.directNode)
	if c.settings, err = attack.SettingsFromProfile(profile); err != nil {
		return c, err
	}
	if c.proxiedNode, err = newNode(); err != nil {
		return c, err
	}
	defer settle(c.proxiedNode)
	dir, err := os.MkdirTemp("", "attackbench-")
	if err != nil {
		return c, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := attack.StartProxy(ctx, dir, c.settings, c.proxiedNode.Addr())
	if err != nil {
		return c, err
	}
	defer p.Close()
	c.proxiedNode.ResetPeaks()
	c.proxied = run(p.Addr)
	return c, nil
}

// overhead measures legit throughput without the rate limit in the way.
func overhead(workers int) error {
	stub := iristub.New(iristub.Options{Workers: workers})
	if err := stub.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	defer stub.Close()
	src := `haproxy {
  max_requests_per_ip = 0
  max_conn_per_ip     = 0
}`
	s, err := attack.SettingsFromProfile(src)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "attackbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := attack.StartProxy(ctx, dir, s, stub.Addr())
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Printf("\nlegit getNodeInfo throughput (requests/s):\n%-10s %10s %10s %9s\n", "clients", "direct", "proxied", "overhead")
	for _, conc := range []int{1, 4} {
		d := attack.Throughput(stub.Addr(), conc, 2*time.Second)
		pr := attack.Throughput(p.Addr, conc, 2*time.Second)
		fmt.Printf("%-10d %10.0f %10.0f %8.0f%%\n", conc, d, pr, 100*(d-pr)/d)
	}
	return nil
}
