// Package attack reproduces the outage of public IRI nodes against the IRI
// stand-in (integration/iristub), then runs the same attack through
// harden's rendered HAProxy configuration. Everything runs on loopback
// addresses: the attacker calls from 127.0.0.2, the legitimate wallet from
// 127.0.0.3, policy probes from 127.0.0.4, so per-address limits apply to
// each on its own. Every loop is bounded in count and time.
package attack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"harden/modules/haproxy"
)

// Loopback sources: distinct addresses so per-address limits tell them apart.
var (
	AttackerIP = net.IPv4(127, 0, 0, 2)
	LegitIP    = net.IPv4(127, 0, 0, 3)
	ProbeIP    = net.IPv4(127, 0, 0, 4)
)

// Profile is the haproxy block the attack runs against: harden's defaults,
// with limits scaled to a short, bounded attack.
const Profile = `haproxy {
  max_conn_per_ip      = 8
  node_maxconn         = 3
  heavy_maxconn        = 1
  heavy_queue_timeout  = "500ms"
  heavy_timeout        = "30s"
  http_request_timeout = "1s"
}`

// SettingsFromProfile decodes a `haproxy { ... }` block the way harden does.
func SettingsFromProfile(src string) (haproxy.Settings, error) {
	f, diags := hclsyntax.ParseConfig([]byte(src), "attack.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return haproxy.Settings{}, diags
	}
	blocks := f.Body.(*hclsyntax.Body).Blocks
	if len(blocks) != 1 {
		return haproxy.Settings{}, fmt.Errorf("want one haproxy block, got %d", len(blocks))
	}
	m := haproxy.Factory.New().(*haproxy.Module)
	if diags := m.Decode(blocks[0].AsHCLBlock(), &hcl.EvalContext{}); diags.HasErrors() {
		return haproxy.Settings{}, diags
	}
	return m.Settings(), nil
}

// Proxy is a real haproxy process running a rendered configuration.
type Proxy struct {
	// Addr is the IPv4 loopback address it listens on; Addr6 the IPv6
	// one ("" on the host, where it listens on IPv4 only).
	Addr, Addr6 string
	Settings    haproxy.Settings
	ns          *Netns
	run         haproxyRun
	cmd         *exec.Cmd
	log         *lockedBuffer
}

// StartProxy renders s for a process of its own (loopback port, node at
// nodeAddr, admin socket and no chroot/user in dir) and starts haproxy in
// the foreground. Stop it with Close.
func StartProxy(ctx context.Context, dir string, s haproxy.Settings, nodeAddr string) (*Proxy, error) {
	return StartProxyIn(ctx, nil, dir, s, nodeAddr)
}

// StartProxyIn is StartProxy inside a network namespace (nil: the host's).
// There it listens on "::", IPv4 and IPv6 alike, the way a public node
// binds.
func StartProxyIn(ctx context.Context, ns *Netns, dir string, s haproxy.Settings, nodeAddr string) (*Proxy, error) {
	run, err := haproxyIn(os.Getenv("HARDEN_TEST_HAPROXY_ROOT"), dir)
	if err != nil {
		return nil, err
	}
	var port int
	pick := func() (err error) { port, err = freePort(); return err }
	if ns != nil {
		err = ns.Do(pick)
	} else {
		err = pick()
	}
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: fmt.Sprintf("127.0.0.1:%d", port), ns: ns, run: run, log: &lockedBuffer{}}
	s.Addresses = []string{"127.0.0.1"}
	if ns != nil {
		s.Addresses, p.Addr6 = []string{"::"}, fmt.Sprintf("[::1]:%d", port)
	}
	s.Port, s.Node = port, nodeAddr
	s.Chroot, s.User, s.Group, s.Log = "", "", "", "stdout"
	s.AdminSocket = filepath.Join(run.dir, "admin.sock")
	cfg := filepath.Join(run.dir, "haproxy.cfg")
	if err := os.WriteFile(filepath.Join(run.root, cfg), []byte(haproxy.Render(s)), 0o600); err != nil {
		return nil, err
	}
	p.Settings = s
	name, args := ns.command(run.argv[0], append(run.argv[1:], "-db", "-f", cfg)...)
	p.cmd = exec.CommandContext(ctx, name, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := ns.Dial(ctx, nil, p.Addr)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Close()
			return nil, fmt.Errorf("haproxy did not listen on %s: %s", p.Addr, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// haproxyRun is how a proxy process starts: the host's haproxy with its
// files in dir, or, with a Debian root (HARDEN_TEST_HAPROXY_ROOT, where the
// haproxy package is installed: Debian 13's 3.0, say), that root's haproxy
// under chroot with its files in the root's /tmp.
type haproxyRun struct {
	root string   // "/" or the Debian root
	dir  string   // the process's files, as the process sees the path
	argv []string // haproxy, or chroot ROOT haproxy
}

func haproxyIn(root, dir string) (haproxyRun, error) {
	if root == "" {
		bin, err := exec.LookPath("haproxy")
		if err != nil {
			return haproxyRun{}, fmt.Errorf("haproxy binary: %w", err)
		}
		return haproxyRun{root: "/", dir: dir, argv: []string{bin}}, nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(root, "tmp"), "attack-")
	if err != nil {
		return haproxyRun{}, err
	}
	inRoot, _ := filepath.Rel(root, tmp)
	return haproxyRun{root: root, dir: "/" + inRoot, argv: []string{"chroot", root, "/usr/sbin/haproxy"}}, nil
}

// Log is what haproxy printed (its request log lines).
func (p *Proxy) Log() string { return p.log.String() }

// AdminSocketMode is the admin socket's permission bits.
func (p *Proxy) AdminSocketMode() (os.FileMode, error) {
	fi, err := os.Stat(filepath.Join(p.run.root, p.Settings.AdminSocket))
	if err != nil {
		return 0, err
	}
	return fi.Mode().Perm(), nil
}

// Close stops haproxy.
func (p *Proxy) Close() {
	if p.run.root != "/" {
		defer os.RemoveAll(filepath.Join(p.run.root, p.run.dir))
	}
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Client is an HTTP client calling from a given loopback address.
func Client(src net.IP, timeout time.Duration, keepAlive bool) *http.Client {
	return ClientIn(nil, src, timeout, keepAlive)
}

// ClientIn is Client inside a network namespace (nil: the host's).
func ClientIn(ns *Netns, src net.IP, timeout time.Duration, keepAlive bool) *http.Client {
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) { return ns.Dial(ctx, src, addr) }
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: dial, DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 4,
	}}
}

// Call posts an API body the way a wallet does and returns the status
// (0 when the connection failed or timed out).
func Call(c *http.Client, addr, body string, hdr map[string]string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Bodies the scenario sends.
const (
	NodeInfo  = `{"command":"getNodeInfo"}`
	SlowTips  = `{"command":"getTransactionsToApprove","depth":15,"reference":"OLDTAILHASH9999999999999999999999999999999999999999999999999999999999999999999"}`
	Escaped   = `{"command":"\u0061ttachToTangle","trunkTransaction":"A","branchTransaction":"B","minWeightMagnitude":14,"trytes":[]}`
	PoW       = `{"command":"attachToTangle","trunkTransaction":"A","branchTransaction":"B","minWeightMagnitude":14,"trytes":[]}`
	Neighbors = `{"command":"addNeighbors","uris":["tcp://203.0.113.1:15600"]}`
	Comment   = `{"command":"getNodeInfo"}/* {"command":"attachToTangle"} */`
	Duplicate = `{"command":"getNodeInfo","command":"attachToTangle"}`
)

// Latencies summarises a legitimate client's calls.
type Latencies struct {
	Samples  []time.Duration
	Failures int // non-200 or no answer
}

// Percentile returns the q-th percentile (0 < q <= 1), or -1 with no samples.
func (l Latencies) Percentile(q float64) time.Duration {
	if len(l.Samples) == 0 {
		return -1
	}
	s := append([]time.Duration(nil), l.Samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// Attack is one run: n attackers each send one slow getTransactionsToApprove
// with a reference and give up after giveUp (the node keeps computing),
// while a legitimate client calls getNodeInfo every interval for dur.
type Attack struct {
	N        int
	GiveUp   time.Duration
	Dur      time.Duration
	Interval time.Duration
}

// Result is what an attack run saw.
type Result struct {
	Legit Latencies
	// AttackerStatus counts the attackers' outcomes by HTTP status (0: the
	// connection was refused, reset or timed out).
	AttackerStatus map[int]int
}

// Throughput runs sequential getNodeInfo calls from conc legit clients for
// dur and returns the calls per second that got a 200.
func Throughput(addr string, conc int, dur time.Duration) float64 {
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	end := time.Now().Add(dur)
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Client(LegitIP, 5*time.Second, true)
			n := 0
			for time.Now().Before(end) {
				if st, _ := Call(c, addr, NodeInfo, nil); st == http.StatusOK {
					n++
				}
			}
			mu.Lock()
			ok += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(ok) / dur.Seconds()
}

// Run performs the attack against addr.
func (a Attack) Run(addr string) Result {
	res := Result{AttackerStatus: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	attacker := Client(AttackerIP, a.GiveUp, false)
	for i := 0; i < a.N; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := Call(attacker, addr, SlowTips, nil)
			mu.Lock()
			res.AttackerStatus[st]++
			mu.Unlock()
		}()
	}
	res.Legit = legitCalls(a.Dur, a.Interval, func(c *http.Client) (int, error) { return Call(c, addr, NodeInfo, nil) })
	wg.Wait()
	return res
}

// legitCalls is the wallet: after the attack has landed, one call every
// interval for dur, timed.
func legitCalls(dur, interval time.Duration, call func(*http.Client) (int, error)) Latencies {
	time.Sleep(100 * time.Millisecond)
	var l Latencies
	legit := Client(LegitIP, dur+5*time.Second, true)
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		start := time.Now()
		st, err := call(legit)
		l.Samples = append(l.Samples, time.Since(start))
		if err != nil || st != http.StatusOK {
			l.Failures++
		}
		time.Sleep(interval)
	}
	return l
}
