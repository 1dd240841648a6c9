package iota

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func decode(t *testing.T, src string, proxied bool) *Module {
	t.Helper()
	m := &Module{}
	moduletest.MustDecode(t, m, src)
	if proxied {
		m.Link(peers{"haproxy": nil})
	} else {
		m.Link(peers{})
	}
	return m
}

type peers map[string]module.Module

func (p peers) Lookup(name string) (module.Module, bool) {
	m, ok := p[name]
	return m, ok
}

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name, src, detail string
		line, col         int
	}{
		{"relative config", "iota {\n  config = \"fullnode.yaml\"\n}",
			`config: "fullnode.yaml" is not valid; expected an absolute, clean path such as "/opt/iota/config/fullnode.yaml".`, 2, 12},
		{"host name", "iota {\n  json_rpc_address = \"localhost:9000\"\n}",
			`json_rpc_address: "localhost:9000" is not valid; expected an IP address and port such as "127.0.0.1:9000" (iota-node takes no host names here).`, 2, 22},
		{"no port", "iota {\n  metrics_address = \"127.0.0.1\"\n}",
			`metrics_address: "127.0.0.1" is not valid; expected an IP address and port such as "127.0.0.1:9184" (iota-node takes no host names here).`, 2, 21},
		{"zero hops", "iota {\n  proxy_hops = 0\n}",
			`proxy_hops: "0" is not valid; expected the number of proxies in front of the node, from 1 to 8, or null to leave policy-config alone.`, 2, 16},
		{"restart without unit", "iota {\n  unit = null\n  restart = true\n}", `restart: there is no unit to restart (unit = null).`, 3, 13},
		{"loopback inside a container", "iota {\n  container = \"iota-node\"\n  json_rpc_address = \"127.0.0.1:9000\"\n}",
			`json_rpc_address: 127.0.0.1:9000 is the container's own loopback, which Docker cannot publish from; leave it on every address and publish the port on the host's loopback (-p 127.0.0.1:9000:9000).`, 3, 22},
		{"unit and container", "iota {\n  container = \"iota-node\"\n  unit = \"iota-node.service\"\n}",
			`unit: the node runs either under a systemd unit or in a container, and container = "iota-node"; remove one of them.`, 3, 10},
		{"container name", "iota {\n  container = \"iota node\"\n}",
			`container: "iota node" is not valid; expected a Docker container name such as "iota-node" (letters, digits, _ . -).`, 2, 15},
		{"unknown attribute", "iota {\n  json_rpc_adress = \"127.0.0.1:9000\"\n}", `An argument named "json_rpc_adress" is not expected here. Did you mean "json_rpc_address"?`, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moduletest.WantOneDiag(t, moduletest.Decode(t, &Module{}, tt.src, nil), tt.detail, tt.line, tt.col)
		})
	}
}

// plan plans for a file's bytes (and a live listen table) and returns the
// plan and the file after its change ("" when unchanged).
func plan(t *testing.T, m *Module, yaml string, live ...string) (module.Plan, string) {
	t.Helper()
	st := &State{Data: []byte(yaml)}
	for _, l := range live {
		st.Listening = append(st.Listening, netip.MustParseAddrPort(l))
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) == 0 {
		return p, ""
	}
	after := p.Changes[0].After
	// Planning on the result changes nothing more.
	if p2, err := m.Plan(&State{Data: []byte(after)}); err != nil || !p2.Empty() {
		t.Errorf("second plan on the edited file: %v %+v\n%s", err, p2.Changes, after)
	}
	return p, after
}

// The upstream template: both addresses quoted on 0.0.0.0, no gRPC, no
// policy-config. Only the values change; every comment stays.
func TestPlanTemplate(t *testing.T) {
	src, err := os.ReadFile("testdata/fullnode-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, after := plan(t, decode(t, "iota {}", true), string(src))
	want := strings.NewReplacer(`metrics-address: "0.0.0.0:9184"`, `metrics-address: "127.0.0.1:9184"`,
		`json-rpc-address: "0.0.0.0:9000"`, `json-rpc-address: "127.0.0.1:9000"`).Replace(string(src)) +
		"policy-config:\n  client-id-source:\n    x-forwarded-for: 1\n"
	if after != want {
		t.Errorf("edited file:\n%s\nwant:\n%s", after, want)
	}
	var fields []string
	for _, f := range p.Changes[0].Fields {
		fields = append(fields, f.Name+"="+f.Before+">"+f.After)
	}
	if got := strings.Join(fields, " "); got != "json-rpc-address=0.0.0.0:9000>127.0.0.1:9000 metrics-address=0.0.0.0:9184>127.0.0.1:9184 "+
		"policy-config.client-id-source=>x-forwarded-for: 1" {
		t.Errorf("fields %s", got)
	}
	for _, w := range []string{"fullnode.yaml binds JSON-RPC to 0.0.0.0:9000, every interface", "fullnode.yaml binds metrics to 0.0.0.0:9184"} {
		if !contains(p.Warnings, w) {
			t.Errorf("no warning %q in %q", w, p.Warnings)
		}
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Edits in place whatever way the operator wrote the file.
func TestPlanEdits(t *testing.T) {
	tests := []struct {
		name, src, yaml, want string
		proxied               bool
	}{
		{name: "plain values with comments", src: "iota {}",
			yaml: "json-rpc-address: 0.0.0.0:9000   # public\nmetrics-address: '0.0.0.0:9184'\n",
			want: "json-rpc-address: \"127.0.0.1:9000\"   # public\nmetrics-address: \"127.0.0.1:9184\"\n"},
		{name: "missing keys are appended, no trailing newline", src: "iota {}",
			yaml: "db-path: /opt/iota/db",
			want: "db-path: /opt/iota/db\njson-rpc-address: \"127.0.0.1:9000\"\nmetrics-address: \"127.0.0.1:9184\"\n"},
		{name: "gRPC on, no grpc-api-config", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}",
			yaml: "enable-grpc-api: true\n",
			want: "enable-grpc-api: true\ngrpc-api-config:\n  address: \"127.0.0.1:50051\"\n"},
		{name: "gRPC on, block without address", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}",
			yaml: "enable-grpc-api: true\ngrpc-api-config:\n    max-message-size-bytes: 4194304\n",
			want: "enable-grpc-api: true\ngrpc-api-config:\n    address: \"127.0.0.1:50051\"\n    max-message-size-bytes: 4194304\n"},
		{name: "gRPC on, flow mapping", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}",
			yaml: "enable-grpc-api: true\ngrpc-api-config: {address: 0.0.0.0:50051, broadcast-buffer-size: 100}\n",
			want: "enable-grpc-api: true\ngrpc-api-config: {address: \"127.0.0.1:50051\", broadcast-buffer-size: 100}\n"},
		{name: "gRPC off: grpc-api-config left alone", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}",
			yaml: "grpc-api-config:\n  address: 0.0.0.0:50051\n"},
		{name: "policy-config with other settings", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}", proxied: true,
			yaml: "policy-config:\n  dry-run: false\n  connection-blocklist-ttl-sec: 60\n",
			want: "policy-config:\n  client-id-source: {x-forwarded-for: 1}\n  dry-run: false\n  connection-blocklist-ttl-sec: 60\n"},
		{name: "socket-addr", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}", proxied: true,
			yaml: "policy-config:\n  client-id-source: socket-addr # direct\n",
			want: "policy-config:\n  client-id-source: {x-forwarded-for: 1} # direct\n"},
		{name: "two hops become one", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}", proxied: true,
			yaml: "policy-config:\n  client-id-source:\n    x-forwarded-for: 2\n",
			want: "policy-config:\n  client-id-source:\n    x-forwarded-for: 1\n"},
		{name: "flow client-id-source", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n  proxy_hops = 2\n}",
			yaml: "policy-config: {client-id-source: {x-forwarded-for: 1}, dry-run: true}\n",
			want: "policy-config: {client-id-source: {x-forwarded-for: 2}, dry-run: true}\n"},
		{name: "converged", src: "iota {}", proxied: true,
			yaml: "json-rpc-address: 127.0.0.1:9000\nmetrics-address: \"127.0.0.1:9184\"\npolicy-config:\n  client-id-source:\n    x-forwarded-for: 1\n"},
		{name: "not proxied: policy-config left alone", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}",
			yaml: "policy-config:\n  client-id-source: socket-addr\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, after := plan(t, decode(t, tt.src, tt.proxied), tt.yaml)
			if after != tt.want {
				t.Errorf("edited file:\n%q\nwant\n%q", after, tt.want)
			}
		})
	}
}

// A file iota-node would refuse, or one the editor cannot change in place,
// stops the plan with the file and line.
func TestPlanRefuses(t *testing.T) {
	tests := []struct{ name, yaml, err string }{
		{"duplicate key", "json-rpc-address: 0.0.0.0:9000\njson-rpc-address: 127.0.0.1:9000\n", `line 2: mapping key "json-rpc-address" already defined at line 1`},
		{"two documents", "db-path: a\n---\ndb-path: b\n", "fullnode.yaml:2: a second YAML document"},
		{"block scalar", "json-rpc-address: >-\n  0.0.0.0:9000\n", "fullnode.yaml:1: the value is a block scalar"},
		{"a list", "- a\n", "the top level is not a mapping"},
		{"policy-config a list", "policy-config: [a]\n", "fullnode.yaml:1: policy-config is not a mapping"},
		{"value over two lines", "json-rpc-address: \"0.0.0.0:\n  9000\"\n", "the value goes on past its line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, "iota {}", true).Plan(&State{Data: []byte(tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), DefaultConfig) {
				t.Errorf("err = %v, want it to name %s and say %q", err, DefaultConfig, tt.err)
			}
		})
	}
}

func TestPlanWarnings(t *testing.T) {
	tests := []struct {
		name, src, yaml string
		proxied         bool
		live            []string
		want            []string
	}{
		{name: "unmanaged metrics on every interface", src: "iota {\n  metrics_address = null\n}",
			yaml: "json-rpc-address: 127.0.0.1:9000\n",
			want: []string{"fullnode.yaml leaves metrics-address unset: iota-node binds metrics to 0.0.0.0:9184, every interface: only the firewall keeps it from the internet"}},
		{name: "running node still on the old address", src: "iota {}",
			yaml: "json-rpc-address: 127.0.0.1:9000\nmetrics-address: 127.0.0.1:9184\n",
			live: []string{"0.0.0.0:9184", "127.0.0.1:9000", "0.0.0.0:22", "[::]:50051"},
			want: []string{
				"live: a socket listens on 0.0.0.0:9184 (the node's metrics port) on more than loopback; iota-node binds what fullnode.yaml says when it starts (restart iota-node.service)",
				"live: a socket listens on [::]:50051 (the node's gRPC port) on more than loopback; iota-node binds what fullnode.yaml says when it starts (restart iota-node.service)"}},
		{name: "trusting X-Forwarded-For on a public JSON-RPC", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n  proxy_hops = 1\n}",
			yaml: "json-rpc-address: 0.0.0.0:9000\nmetrics-address: 127.0.0.1:9184\n",
			want: []string{"fullnode.yaml binds JSON-RPC to 0.0.0.0:9000, every interface: only the firewall keeps it from the internet",
				"the node trusts X-Forwarded-For while JSON-RPC listens on 0.0.0.0:9000: a client that reaches it without the proxy can name any address as its own"}},
		{name: "WebSocket behind the proxy", src: "iota {}", proxied: true,
			yaml: "json-rpc-address: 127.0.0.1:9000\nmetrics-address: 127.0.0.1:9184\njsonrpc-server-type: both\npolicy-config: {client-id-source: {x-forwarded-for: 1}}\n",
			want: []string{"fullnode.yaml sets jsonrpc-server-type: both: HAProxy does not read WebSocket messages, so over WebSocket every method (dev-inspect and unsafe_* included) reaches the node, bounded only by the gateway's connection caps; the http default serves JSON-RPC over HTTP alone"}},
		{name: "admin interface opened", src: "iota {}",
			yaml: "json-rpc-address: 127.0.0.1:9000\nmetrics-address: 127.0.0.1:9184\nadmin-interface-address: 0.0.0.0:1337\n",
			want: []string{"fullnode.yaml binds the admin interface to 0.0.0.0:1337: it must stay on loopback (127.0.0.1:1337)"}},
		{name: "killswitch", src: "iota {\n  json_rpc_address = null\n  metrics_address = null\n}", proxied: true,
			yaml: "json-rpc-address: 127.0.0.1:9000\nmetrics-address: 127.0.0.1:9184\npolicy-config: ~\n",
			want: []string{"fullnode.yaml:3: policy-config is null, which turns iota-node's traffic controller off: harden leaves it off, and X-Forwarded-For is not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := plan(t, decode(t, tt.src, tt.proxied), tt.yaml, tt.live...)
			if strings.Join(p.Warnings, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(p.Warnings, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// No file yet: nothing to change, and the plan says why.
func TestPlanNoFile(t *testing.T) {
	p, err := decode(t, "iota {}", true).Plan(&State{})
	if err != nil || !p.Empty() || !contains(p.Notes, "does not exist: nothing to configure until iota-node is installed") {
		t.Errorf("plan %v %+v", err, p)
	}
}

// Apply writes the file in place, keeping its mode, and the next plan is
// empty.
func TestApply(t *testing.T) {
	h, _ := hosttest.New(t)
	src, _ := os.ReadFile("testdata/fullnode-template.yaml")
	file := h.Path(DefaultConfig)
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, src, 0o640); err != nil {
		t.Fatal(err)
	}
	m := decode(t, "iota {}", true)
	if p := moduletest.Apply(t, m, h); len(p.Changes) != 1 {
		t.Fatalf("plan %+v", p.Changes)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after apply: %v %v", fi.Mode(), err)
	}
	if p := moduletest.Plan(t, m, h); !p.Empty() {
		t.Errorf("second plan %+v", p.Changes)
	}
}

// In a container the node's own addresses stay on every address (where
// Docker publishes from) and are not warned about; what the host exposes
// is the published ports, seen in the listen table (docker-proxy).
func TestPlanContainer(t *testing.T) {
	m := decode(t, "iota {\n  container = \"iota-node\"\n}", true)
	if m.cfg.Unit != "" || m.JSONRPCAddress() != "127.0.0.1:9000" {
		t.Errorf("unit %q, JSON-RPC for the proxy %q", m.cfg.Unit, m.JSONRPCAddress())
	}
	src, _ := os.ReadFile("testdata/fullnode-template.yaml")
	p, after := plan(t, m, string(src), "0.0.0.0:9000", "127.0.0.1:9184")
	if want := string(src) + "policy-config:\n  client-id-source:\n    x-forwarded-for: 1\n"; after != want {
		t.Errorf("edited file:\n%s", after)
	}
	want := []string{"live: a socket listens on 0.0.0.0:9000 (the node's JSON-RPC port) on more than loopback; " +
		"publish the container's port on the host's loopback only (-p 127.0.0.1:9000:9000)"}
	if strings.Join(p.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings %q\nwant %q", p.Warnings, want)
	}
	if w := p.Changes[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "docker restart iota-node") {
		t.Errorf("change warnings %q", w)
	}
}
