//go:build root

package firewall

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harden/modules/host"
	"harden/modules/module/moduletest"
)

// The growth cases of issue 9 in a real namespace: a thousand allowed
// ports, ten thousand denied sources, SSH only from listed sources. Each
// test dials a handful of times with timeouts of at most 1.5 s.

// hostOf returns the address n in addr's /24 (IPv4) or /64 (IPv6).
func hostOf(addr string, n int) string {
	if i := strings.LastIndexAny(addr, ".:"); i >= 0 {
		return addr[:i+1] + fmt.Sprint(n)
	}
	return addr
}

// addAddrs gives b's end of the veth pair more addresses (.3, ::3, ...).
func addAddrs(t *testing.T, b *netns, addrs ...string) {
	t.Helper()
	dev := fmt.Sprintf("fwb%d", os.Getpid())
	for _, a := range addrs {
		args := []string{"-n", b.name, "addr", "add", a, "dev", dev}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		run(t, "ip", args...)
	}
}

// dialFrom opens a TCP connection from src (an address of ns).
func dialFrom(ns *netns, src, addr string, port int, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.do(func() (err error) {
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err = d.Dial("tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
		return err
	})
	return c, err
}

// wantReach dials from src and fails the test unless the outcome is want.
func wantReach(t *testing.T, ns *netns, src, addr string, port int, want bool) {
	t.Helper()
	if c := reach(t, ns, src, addr, port, want); c != nil {
		c.Close()
	}
}

// reach dials from src, fails the test unless the outcome is want, and
// returns the connection (nil if none) for the caller to close.
func reach(t *testing.T, ns *netns, src, addr string, port int, want bool) net.Conn {
	t.Helper()
	timeout := 1500 * time.Millisecond
	if !want {
		timeout = time.Second
	}
	c, err := dialFrom(ns, src, addr, port, timeout)
	if got := err == nil; got != want {
		t.Errorf("from %s to [%s]:%d: reached %v, want %v (%v)", src, addr, port, got, want, err)
	}
	return c
}

// applyProfile decodes src, plans, applies (with the real `nft -c` check
// of the file to persist), then checks that the next plan is empty. It
// returns the host it planned on.
func applyProfile(t *testing.T, m *Module, ns *netns, src, sshConn string) *host.Host {
	t.Helper()
	m.InNetns(ns.fd)
	moduletest.MustDecode(t, m, src)
	if diags := m.Link(noPeers{}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h, _, _ := liveHost(t, m, sshConn)
	p, _ := planOf(t, m, h)
	start := time.Now()
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("apply took %v", time.Since(start).Round(time.Millisecond))
	if again, st := planOf(t, m, h); !again.Empty() {
		t.Fatalf("plan after apply not empty: %v\nlive:\n%.2000s", addresses(again), st.Live)
	}
	return h
}

// loadsInFreshNetns loads the persisted file with nft into a new
// namespace and checks it reads back as the desired table, want.
func loadsInFreshNetns(t *testing.T, m *Module, want *Table) {
	t.Helper()
	fresh := newNetns(t, "f")
	cmd := exec.Command("ip", "netns", "exec", fresh.name, "nft", "-f", m.persistPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f the persisted file: %v: %s", err, out)
	}
	c, _ := fresh.conn()
	got, err := readTable(c, "inet", "harden")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) || got.HasUnknown() {
		t.Fatalf("the file loaded by nft reads back differently:\n%.3000s", got)
	}
}

func TestRootThousandAllowedPorts(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, _ := vethPair(t, a, b)
	ports := make([]string, 1000)
	for i := range ports {
		ports[i] = fmt.Sprint(20000 + i)
	}
	m := New()
	applyProfile(t, m, a, "firewall {\n  allow_tcp_ports = ["+strings.Join(ports, ", ")+"]\n}", "")
	if n := len(m.Desired().Chain("input").Rules); n > 30 {
		t.Errorf("%d input rules for 1000 ports", n)
	}
	listen(t, a, 20000, 20500, 20999, 21000, 19999)
	peer := hostOf(addr, 2)
	for _, port := range []int{20000, 20500, 20999} {
		wantReach(t, b, peer, addr, port, true)
	}
	for _, port := range []int{21000, 19999} {
		wantReach(t, b, peer, addr, port, false)
	}
	loadsInFreshNetns(t, m, m.Desired())
}

func TestRootTenThousandDeniedSources(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, addr6 := vethPair(t, a, b)
	denied, denied6 := hostOf(addr, 3), hostOf(addr6, 3)
	addAddrs(t, b, denied+"/24", denied6+"/64")
	deny := append(genSources(9998), denied, denied6)

	// The table before: replaced by one batch, kept whole if it fails.
	m := New()
	m.InNetns(a.fd)
	old := Build(defaultConfig())
	if err := m.load(old); err != nil {
		t.Fatal(err)
	}

	applyProfile(t, m, a, sourcesProfile(deny), "")
	want := m.Desired()
	if n := len(want.Sets[0].Elements) + len(want.Sets[1].Elements); n != 10000 {
		t.Fatalf("%d denied entries, want 10000", n)
	}
	listen(t, a, 15600)
	wantReach(t, b, hostOf(addr, 2), addr, 15600, true)
	wantReach(t, b, hostOf(addr6, 2), addr6, 15600, true)
	wantReach(t, b, denied, addr, 15600, false)
	wantReach(t, b, denied6, addr6, 15600, false)
	loadsInFreshNetns(t, m, m.Desired())

	t.Run("a batch that fails changes nothing", func(t *testing.T) {
		// The last message of the batch names a set that does not exist:
		// the kernel refuses the batch and the table stays as it was.
		bad := Build(m.Config())
		in := bad.Chain("input")
		in.Rules = append(in.Rules, rule(SaddrIn{Set: "no_such_set"}, drop))
		if err := m.load(bad); err == nil {
			t.Fatal("a batch with a rule on a missing set loaded")
		}
		c, _ := a.conn()
		got, err := readTable(c, "inet", "harden")
		if err != nil || !got.Equal(want) {
			t.Fatalf("after a failed batch the table differs (err %v)", err)
		}
	})
}

// 10,000 denied sources from deny_sources_file, as a feed ships them:
// loaded in one batch, read back as planned, the denied sources dropped.
// Removing a line from the file is drift: the next plan removes that one
// element and apply lets the source in.
func TestRootTenThousandDeniedSourcesFromFile(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, addr6 := vethPair(t, a, b)
	denied, denied6 := hostOf(addr, 3), hostOf(addr6, 3)
	addAddrs(t, b, denied+"/24", denied6+"/64")
	path := filepath.Join(t.TempDir(), "deny-sources.list")
	feed := "# test feed\n" + strings.Join(genSources(9998), "\n") + "\n" + denied + " ; SBL1\n" + denied6 + "\n"
	writeFeed := func(content string) {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFeed(feed)

	m := New()
	h := applyProfile(t, m, a, fmt.Sprintf("firewall {\n  deny_sources_file = %q\n}", path), "")
	p, st := planOf(t, m, h)
	want, err := m.desired(st)
	if err != nil {
		t.Fatal(err)
	}
	v4, v6 := len(want.Sets[0].Elements), len(want.Sets[1].Elements)
	if v4+v6 != 10000 || !slices.Equal(p.Notes, []string{
		fmt.Sprintf("deny_v4: %s entries, %s from %s", thousands(v4), thousands(v4), path),
		fmt.Sprintf("deny_v6: %s entries, %s from %s", thousands(v6), thousands(v6), path)}) {
		t.Fatalf("%d+%d denied entries, notes %q", v4, v6, p.Notes)
	}
	listen(t, a, 15600)
	wantReach(t, b, hostOf(addr, 2), addr, 15600, true)
	wantReach(t, b, hostOf(addr6, 2), addr6, 15600, true)
	wantReach(t, b, denied, addr, 15600, false)
	wantReach(t, b, denied6, addr6, 15600, false)
	loadsInFreshNetns(t, m, want)

	writeFeed(strings.Replace(feed, denied+" ; SBL1\n", "", 1))
	p, _ = planOf(t, m, h)
	if minus, plus := tableDiff(t, p); !slices.Equal(minus, []string{"-\t\t\t" + denied + ","}) || len(plus) != 0 {
		t.Fatalf("after removing a line the plan removes %q and adds %q", minus, plus)
	}
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if again, _ := planOf(t, m, h); !again.Empty() {
		t.Fatalf("plan after the second apply: %v", addresses(again))
	}
	wantReach(t, b, denied, addr, 15600, true)
	wantReach(t, b, denied6, addr6, 15600, false)
}

func TestRootSSHAllowSources(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, addr6 := vethPair(t, a, b)
	addAddrs(t, b, hostOf(addr, 3)+"/24", hostOf(addr6, 3)+"/64")
	allowed, allowed6 := hostOf(addr, 2), hostOf(addr6, 2)
	src := fmt.Sprintf("firewall {\n  ssh_allow_sources = [%q, %q, \"198.51.100.0/24\"]\n}", allowed, allowed6+"/128")

	// The lockout guard: a session from .3 would be shut out.
	m := New()
	m.InNetns(a.fd)
	moduletest.MustDecode(t, m, src)
	h, _, _ := liveHost(t, m, hostOf(addr, 3)+" 50000 "+addr+" 22")
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Plan(st); err == nil || !strings.Contains(err.Error(), "ssh_allow_sources does not hold "+hostOf(addr, 3)) {
		t.Fatalf("plan from a session outside ssh_allow_sources: %v", err)
	}

	applyProfile(t, New(), a, src, allowed+" 50000 "+addr+" 22")
	listen(t, a, 22, 15600)
	wantReach(t, b, allowed, addr, 22, true)
	wantReach(t, b, allowed6, addr6, 22, true)
	wantReach(t, b, hostOf(addr, 3), addr, 22, false)
	wantReach(t, b, hostOf(addr6, 3), addr6, 22, false)
	// Only SSH is restricted.
	wantReach(t, b, hostOf(addr, 3), addr, 15600, true)
}
