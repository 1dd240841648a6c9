//go:build root

package firewall

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

const rootProfile = `firewall {
  ssh_ports                  = [22]
  ssh_rate_limit             = "3/minute"
  ssh_max_connections        = 10
  gossip_udp_port            = 14600
  public_api_max_connections = 3
}`

// liveHost is an online host (netlink, nft) whose files live under a temp
// dir: the module's file paths are moved there, systemd is the recorder.
func liveHost(t testing.TB, m *Module, sshConn string) (*host.Host, *host.Journal, *hosttest.Systemd) {
	t.Helper()
	dir := t.TempDir()
	m.persistPath = filepath.Join(dir, "etc/nftables.d/harden.nft")
	m.confPath = filepath.Join(dir, "etc/nftables.conf")
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	sd := &hosttest.Systemd{}
	h := host.New(host.Options{Root: "/", Logger: zaptest.NewLogger(t), Systemd: sd,
		Getenv: func(k string) string {
			if k == "SSH_CONNECTION" {
				return sshConn
			}
			return ""
		}})
	j, err := host.CreateJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.Attach(j)
	return h, j, sd
}

var counterValues = regexp.MustCompile(`counter packets \d+ bytes \d+`)

func TestRootApplyReachabilityPersistUndo(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	a, b := newNetns(t, "a"), newNetns(t, "b")
	addr, addr6 := vethPair(t, a, b)

	// A table from an earlier run (SSH on 2200 only), to be replaced and
	// later restored by undo; and a foreign table that must stay.
	m := New()
	m.InNetns(a.fd)
	old := Build(Config{Family: "inet", Name: "harden", SSHPorts: []int{2200}})
	if err := m.load(old); err != nil {
		t.Fatal(err)
	}
	run(t, "ip", "netns", "exec", a.name, "nft", "add table ip operator_own")

	moduletest.MustDecode(t, m, rootProfile)
	if diags := m.Link(noPeers{}); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h, j, sd := liveHost(t, m, "10.254.0.9 50000 "+addr+" 22")

	p, st := planOf(t, m, h)
	if !st.Live.Equal(old) {
		t.Fatalf("readback of the old table differs:\n%s\nwant:\n%s", st.Live, old)
	}
	if len(p.Changes) != 4 || p.Changes[0].Address != "firewall.table[inet harden]" || p.Changes[0].Action != module.Update {
		t.Fatalf("first plan: %+v", p.Changes)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "ip operator_own") {
		t.Errorf("foreign table not noted: %q", p.Notes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if !sd.Enabled[serviceName] {
		t.Errorf("nftables.service not enabled")
	}

	// What nft itself lists is the model's text, counters aside.
	listed := run(t, "ip", "netns", "exec", a.name, "nft", "list", "table", "inet", "harden")
	if got, want := counterValues.ReplaceAllString(listed, "counter"), m.Desired().String(); got != want {
		t.Errorf("nft list table:\n%s\nwant:\n%s", got, want)
	}
	if out := run(t, "ip", "netns", "exec", a.name, "nft", "list", "tables"); !strings.Contains(out, "table ip operator_own") {
		t.Errorf("foreign table touched: %s", out)
	}

	p2, _ := planOf(t, m, h)
	if !p2.Empty() {
		t.Fatalf("second plan not empty: %+v", p2.Changes)
	}

	listen(t, a, 22, 15600, 14267, NodeAPIPort, 31337)
	udpEcho(t, a, 14600)
	t.Run("reachability", func(t *testing.T) {
		for _, to := range []string{addr, addr6} {
			for _, port := range []int{15600, 14267} {
				c, err := dial(b, to, port, 2*time.Second)
				if err != nil {
					t.Fatalf("%s port %d not reachable: %v", to, port, err)
				}
				c.Close()
			}
			if err := udpRoundTrip(b, to, 14600); err != nil {
				t.Errorf("%s udp gossip 14600 not reachable: %v", to, err)
			}
			for _, port := range []int{NodeAPIPort, 31337} {
				if c, err := dial(b, to, port, time.Second); err == nil {
					c.Close()
					t.Errorf("%s port %d reachable, want dropped", to, port)
				}
			}
		}
	})

	t.Run("ssh rate limit", func(t *testing.T) {
		// Burst 3: three new connections pass, the fourth within the
		// minute is dropped.
		for i := 1; i <= 3; i++ {
			c, err := dial(b, addr, 22, 2*time.Second)
			if err != nil {
				t.Fatalf("ssh connection %d refused: %v", i, err)
			}
			c.Close()
		}
		if c, err := dial(b, addr, 22, 1500*time.Millisecond); err == nil {
			c.Close()
			t.Fatal("4th new ssh connection within the minute got through")
		}
	})

	t.Run("api connection cap", func(t *testing.T) {
		var held []interface{ Close() error }
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for i := 1; i <= 3; i++ {
			c, err := dial(b, addr, 14267, 2*time.Second)
			if err != nil {
				t.Fatalf("api connection %d refused: %v", i, err)
			}
			held = append(held, c)
		}
		if c, err := dial(b, addr, 14267, 1500*time.Millisecond); err == nil {
			c.Close()
			t.Fatal("4th concurrent api connection got through")
		}
	})

	t.Run("persisted file loads the same rules", func(t *testing.T) {
		data, err := os.ReadFile(m.persistPath)
		if err != nil {
			t.Fatal(err)
		}
		fresh := newNetns(t, "c")
		cmd := exec.Command("ip", "netns", "exec", fresh.name, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(string(data))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft -f: %v: %s", err, out)
		}
		c, err := fresh.conn()
		if err != nil {
			t.Fatal(err)
		}
		got, err := readTable(c, "inet", "harden")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(m.Desired()) || got.HasUnknown() {
			t.Fatalf("file loaded by nft reads back as:\n%s\nwant:\n%s", got, m.Desired())
		}
		conf, _ := os.ReadFile(m.confPath)
		if !strings.Contains(string(conf), `include "`+m.persistPath+`"`) {
			t.Errorf("nftables.conf lacks the include:\n%s", conf)
		}
	})

	t.Run("undo restores the previous table", func(t *testing.T) {
		err := h.Undo(ctx, j, func(ctx context.Context, s host.Step) error { return m.Undo(ctx, h, s.Data) })
		if err != nil {
			t.Fatal(err)
		}
		c, _ := a.conn()
		got, err := readTable(c, "inet", "harden")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(old) {
			t.Fatalf("after undo:\n%s\nwant:\n%s", got, old)
		}
		if _, err := os.Stat(m.persistPath); !os.IsNotExist(err) {
			t.Errorf("persisted file not removed by undo: %v", err)
		}
	})
}

func TestRootUndoRemovesNewTable(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	a := newNetns(t, "a")
	m := New()
	m.InNetns(a.fd)
	moduletest.MustDecode(t, m, `firewall {}`)
	h, j, _ := liveHost(t, m, "")
	p, st := planOf(t, m, h)
	if st.Live != nil || p.Changes[0].Action != module.Create {
		t.Fatalf("want a create on an empty namespace: %+v", p.Changes[0])
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if err := h.Undo(ctx, j, func(ctx context.Context, s host.Step) error { return m.Undo(ctx, h, s.Data) }); err != nil {
		t.Fatal(err)
	}
	c, _ := a.conn()
	if got, err := readTable(c, "inet", "harden"); err != nil || got != nil {
		t.Fatalf("after undo the table is %v (err %v), want gone", got, err)
	}
}

// hasElements reports whether a table holds sets with elements or port
// sets, which nft lists in a layout of its own.
func hasElements(t *Table) bool {
	for _, s := range t.Sets {
		if len(s.Elements) > 0 {
			return true
		}
	}
	return strings.Contains(t.String(), "dport {")
}

type noPeers struct{}

func (noPeers) Lookup(string) (module.Module, bool) { return nil, false }

// Every golden profile: loaded over netlink, nft lists exactly the model's
// text; the golden file loaded by nft reads back as the same model.
func TestRootGoldenProfilesLoadBothWays(t *testing.T) {
	requireRoot(t)
	for name, want := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			viaNetlink := newNetns(t, "g")
			m := New()
			m.InNetns(viaNetlink.fd)
			if err := m.load(want); err != nil {
				t.Fatal(err)
			}
			listed := run(t, "ip", "netns", "exec", viaNetlink.name, "nft", "list", "table", "inet", "harden")
			if got := counterValues.ReplaceAllString(listed, "counter"); got != want.String() && !hasElements(want) {
				t.Errorf("nft list table:\n%s\nwant:\n%s", got, want)
			}
			// nft lays elements out its own way: compare what it says as a model.
			if got, err := ParseTable(listed); err != nil || !got.Equal(want) {
				t.Errorf("nft list table parses as (err %v):\n%s\nwant:\n%s", err, got, want)
			}
			viaNft := newNetns(t, "n")
			run(t, "ip", "netns", "exec", viaNft.name, "nft", "-f", filepath.Join("testdata", name+".nft"))
			c, _ := viaNft.conn()
			got, err := readTable(c, "inet", "harden")
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("nft -f reads back as:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
