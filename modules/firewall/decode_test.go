package firewall

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func TestDecodeDefaults(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, "firewall {}")
	if got, want := m.Config(), defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults:\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecodeValuesAndNulls(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, `firewall {
  table                      = "inet edge"
  ssh_ports                  = [2222]
  ssh_rate_limit             = "10/hour"
  ssh_max_connections        = null
  gossip_tcp_port            = null
  gossip_udp_port            = 14600
  public_api_port            = null
  public_api_max_connections = 50
  allow_tcp_ports            = [80, 443]
  allow_udp_ports            = [51820]
  output_policy              = "drop"
  allow_operator_lockout     = true
}`)
	want := Config{Family: "inet", Name: "edge", SSHPorts: []int{2222},
		SSHRate:       &Limit{Rate: 10, Unit: time.Hour, Burst: 10, Over: true},
		GossipUDPPort: 14600, PublicAPIMaxConnections: 50,
		AllowTCPPorts: []int{80, 443}, AllowUDPPorts: []int{51820}, OutputDrop: true, AllowOperatorLockout: true}
	if got := m.Config(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config:\n%+v\nwant\n%+v", got, want)
	}
	moduletest.MustDecode(t, m, `firewall {
  ssh_rate_limit = null
}`)
	if m.Config().SSHRate != nil {
		t.Errorf("ssh_rate_limit = null kept a limit: %+v", m.Config().SSHRate)
	}
}

func TestDecodeDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		src, summary, detail string
		line, col            int
	}{
		{`output_policy = "dorp"`, "Invalid value for output_policy",
			`output_policy: "dorp" is not valid; expected "accept" or "drop". Did you mean "drop"?`, 2, 17},
		{`gossip_tcp_port = 70000`, "Invalid value for gossip_tcp_port",
			`gossip_tcp_port: "70000" is not valid; expected a port from 1 to 65535.`, 2, 19},
		{`allow_tcp_ports = [80, 14265]`, "The node API port is never opened",
			"allow_tcp_ports: 14265 is IRI's own API port; the firewall keeps it closed so the API is reached " +
				"only through HAProxy (public_api_port, default 14267).", 2, 19},
		{`table = "ip harden"`, "Invalid value for table",
			`table: "ip harden" is not valid; expected an inet table ("inet NAME"): one table filters IPv4 and IPv6. Did you mean "inet harden"?`, 2, 9},
		{`ssh_rate_limit = "6/fortnight"`, "Invalid value for ssh_rate_limit",
			`ssh_rate_limit: "6/fortnight" is not valid; expected "N/second", "N/minute", "N/hour" or "N/day" with N from 1 to 10000.`, 2, 18},
		{`ssh_max_connections = 0`, "Invalid value for ssh_max_connections",
			`ssh_max_connections: "0" is not valid; expected a connection count from 1 to 65535, or null for no cap.`, 2, 23},
		{`ssh_port = 22`, "Unsupported argument",
			`An argument named "ssh_port" is not expected here. Did you mean "ssh_ports"?`, 2, 1},
	} {
		t.Run(tc.src, func(t *testing.T) {
			d := moduletest.WantOneDiag(t, moduletest.Decode(t, New(), "firewall {\n"+tc.src+"\n}", nil), tc.detail, tc.line, tc.col)
			if d.Summary != tc.summary {
				t.Errorf("summary %q, want %q", d.Summary, tc.summary)
			}
		})
	}
}

// Peers for Link tests.
type peers map[string]module.Module

func (p peers) Lookup(name string) (module.Module, bool) { m, ok := p[name]; return m, ok }

type fakeSSHD struct {
	module.Module
	ports []int
}

func (f fakeSSHD) Ports() []int { return f.ports }

type fakeHAProxy struct {
	module.Module
	port int
}

func (f fakeHAProxy) PublicPort() int { return f.port }

func TestLinkTakesPortsFromPeers(t *testing.T) {
	m := New()
	moduletest.MustDecode(t, m, "firewall {}")
	diags := m.Link(peers{"sshd": fakeSSHD{ports: []int{22, 2222}}, "haproxy": fakeHAProxy{port: 8443}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := m.Config(); !reflect.DeepEqual(got.SSHPorts, []int{22, 2222}) || got.PublicAPIPort != 8443 {
		t.Fatalf("linked config: ssh %v, api %d", got.SSHPorts, got.PublicAPIPort)
	}
	// An sshd block that leaves the port unmanaged keeps the firewall's own.
	m = New()
	moduletest.MustDecode(t, m, "firewall {\n  ssh_ports = [2200]\n}")
	if diags := m.Link(peers{"sshd": fakeSSHD{}}); diags.HasErrors() || !reflect.DeepEqual(m.Config().SSHPorts, []int{2200}) {
		t.Fatalf("unmanaged sshd port: %v, ssh ports %v", diags, m.Config().SSHPorts)
	}
}

func TestLinkConflicts(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		peers     peers
		want      string
		line, col int
	}{
		{"ssh ports disagree", "ssh_ports = [22]", peers{"sshd": fakeSSHD{ports: []int{2222}}},
			"ssh_ports: the sshd block is managed and listens on [2222]; remove ssh_ports from the firewall block: it follows sshd's ports.", 2, 13},
		{"api port disagrees", "public_api_port = 14267", peers{"haproxy": fakeHAProxy{port: 8443}},
			"public_api_port: HAProxy is managed and serves the API on 8443; remove public_api_port from the firewall block: it follows HAProxy.", 2, 19},
		{"port opened twice", "allow_tcp_ports = [15600]", peers{},
			"allow_tcp_ports: tcp 15600 is already opened by gossip_tcp_port.", 2, 19},
		{"haproxy on the node port", "", peers{"haproxy": fakeHAProxy{port: NodeAPIPort}},
			"public_api_port: 14265 is IRI's own API port; it stays closed.", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New()
			moduletest.MustDecode(t, m, "firewall {\n"+tc.src+"\n}")
			diags := m.Link(tc.peers)
			if len(diags) != 1 || diags[0].Detail != tc.want {
				t.Fatalf("got %v\nwant %q", diags, tc.want)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != tc.line || s.Start.Column != tc.col {
				t.Errorf("position %v, want %d,%d", s, tc.line, tc.col)
			}
		})
	}
}

func TestSSHSession(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7 51234 198.51.100.2 22": "203.0.113.7 22", "2001:db8::7 40000 2001:db8::1 2222": "2001:db8::7 2222",
		"::ffff:203.0.113.7 51234 ::ffff:198.51.100.2 22": "203.0.113.7 22",
		"": "invalid IP 0", "garbage": "invalid IP 0", "203.0.113.7 1 2 notaport": "invalid IP 0",
		"203.0.113.7 1 2 99999": "invalid IP 0", "notanaddress 1 2 22": "invalid IP 0",
	} {
		src, port := sshSession(in)
		if got := fmt.Sprintf("%s %d", src, port); got != want {
			t.Errorf("sshSession(%q) = %s, want %s", in, got, want)
		}
	}
}
