package haproxy

import (
	"slices"
	"strings"
	"testing"

	"harden/modules/module/moduletest"
)

func TestJSONRPCDecodeDiagnostics(t *testing.T) {
	cases := []struct{ src, want string }{
		{"haproxy {\n  api = \"iota\"\n}",
			`test.hcl:2,9-15: Invalid value for api; api: "iota" is not valid; expected "iri" (IRI's command API) or "iota-json-rpc" (iota-node's JSON-RPC). Did you mean "iri"?`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  allowed_methods = [\"iota_getObject\", \"unsafe_moveCall\"]\n}",
			`test.hcl:3,40-57: Invalid value for allowed_methods; allowed_methods: unsafe_moveCall builds transactions for its caller (the unsafe_ namespace); the public gateway never serves it: call it on the node's own address.`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  allowed_methods = [\"iota_getObjet\"]\n}",
			`test.hcl:3,22-37: Invalid value for allowed_methods; allowed_methods: "iota_getObjet" is not valid; expected an iota-node JSON-RPC method. Did you mean "iota_getObject"?`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  allowed_commands = [\"getNodeInfo\"]\n}",
			`test.hcl:3,22-37: Attribute of another API; allowed_commands: this attribute applies to another API; this block fronts iota-node's JSON-RPC (api = "iota-json-rpc"). Remove it or change api.`},
		{"haproxy {\n  max_batch = 2\n}",
			`test.hcl:2,15-16: Attribute of another API; max_batch: this attribute applies to another API; this block fronts IRI's command API (api = "iri"). Remove it or change api.`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  max_batch = 51\n}",
			`test.hcl:3,15-17: Invalid value for max_batch; max_batch: 51 is out of range (0 refuses batches, as iota-node does; at most 50).`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  cors_origins = [\"https://a.example/path\"]\n}",
			`test.hcl:3,19-43: Invalid value for cors_origins; cors_origins: "https://a.example/path" is not an origin; expected scheme://host[:port] such as "https://wallet.example.org", or ["*"] alone for any origin.`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  cors_origins = [\"*\", \"https://a.example\"]\n}",
			`test.hcl:3,19-22: Invalid value for cors_origins; cors_origins: "*" is not an origin; expected scheme://host[:port] such as "https://wallet.example.org", or ["*"] alone for any origin.`},
		{"haproxy {\n  api = \"iota-json-rpc\"\n  node = \"localhost\"\n}",
			`test.hcl:3,10-21: Invalid value for node; node: "localhost" is not host:port; expected an IP address or host name and a port, such as "127.0.0.1:9000" or "[::1]:9000".`},
	}
	for _, c := range cases {
		diags := moduletest.Decode(t, Factory.New(), c.src, nil)
		if got := diags.Error(); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.src, got, c.want)
		}
	}
}

func TestJSONRPCDefaults(t *testing.T) {
	m := decodeVariant(t, variants[4])
	s := m.Settings()
	j := s.JSONRPC
	if m.PublicPort() != 9002 || s.Node != "127.0.0.1:9000" || s.MaxBodyBytes != 256<<10 || s.HeavyMaxConn != 1 || s.HeavyMaxConnPerIP != 1 ||
		j.MaxBatch != 0 || !j.AnyOrigin() || j.WebSocket || !slices.Equal(heavyRoutedMethods(j), []string{"iota_devInspectTransactionBlock", "iota_dryRunTransactionBlock"}) {
		t.Errorf("defaults %+v %+v", s, j)
	}
	for _, mth := range j.AllowedMethods {
		if strings.HasPrefix(mth, "unsafe_") || strings.HasPrefix(mth, "iotax_subscribe") {
			t.Errorf("%s is allowed by default", mth)
		}
	}
	if !slices.Contains(j.AllowedMethods, "iota_executeTransactionBlock") || !slices.Contains(j.AllowedMethods, "iota_getLatestCheckpointSequenceNumber") {
		t.Errorf("default allowlist %v lacks what wallets call", j.AllowedMethods)
	}
}

// The block must front the node the profile configures; the node's
// address comes from the iota block unless set here.
func TestJSONRPCLink(t *testing.T) {
	m := decodeVariant(t, variants[5])
	if m.Settings().Node != "127.0.0.1:9100" {
		t.Errorf("node %q, want the iota block's 127.0.0.1:9100", m.Settings().Node)
	}
	explicit := Factory.New().(*Module)
	moduletest.MustDecode(t, explicit, "haproxy {\n  api = \"iota-json-rpc\"\n  node = \"127.0.0.1:9500\"\n}")
	explicit.Link(peers{"iota": fakeIota{addr: "127.0.0.1:9100"}})
	if explicit.Settings().Node != "127.0.0.1:9500" {
		t.Errorf("node %q, want the block's own", explicit.Settings().Node)
	}
	rpc := Factory.New().(*Module)
	moduletest.MustDecode(t, rpc, "haproxy {\n  api = \"iota-json-rpc\"\n}")
	if d := rpc.Link(peers{"iri": fakeIRI{}}); !strings.Contains(d.Error(), `test.hcl:2,9-24: haproxy fronts another node; api = "iota-json-rpc" fronts iota-node`) {
		t.Errorf("iri block behind a JSON-RPC gateway: %v", d)
	}
	iri := Factory.New().(*Module)
	moduletest.MustDecode(t, iri, "haproxy {}")
	if d := iri.Link(peers{"iota": fakeIota{}}); !strings.Contains(d.Error(), `set api = "iota-json-rpc"`) {
		t.Errorf("iota block behind IRI's gateway: %v", d)
	}
}

// TestJSONRPCRenderPolicies checks what the gateway must and must not say,
// beyond byte equality with a golden file.
func TestJSONRPCRenderPolicies(t *testing.T) {
	def := Render(decodeVariant(t, variants[4]).Settings())
	for _, want := range []string{
		"frontend iota_json_rpc\n    bind 0.0.0.0:9002\n",
		"http-request set-header X-Forwarded-For %[src]\n",
		"!{ pathq -m str / }",
		"{ req.hdr_val(Content-Length) gt 262144 }",
		"{ req.hdr_cnt(Transfer-Encoding) gt 0 }",
		"str(not-json-rpc) if !{ req.body -m reg '^",
		"string '" + batchRefusal + "' if batch",
		"json_query('$.method')",
		"acl heavy var(txn.method) -m str iota_devInspectTransactionBlock iota_dryRunTransactionBlock\n",
		"track-sc1 src,ipmask(32,64) table per_client_heavy if heavy\n",
		"str(client-busy) if { sc1_conn_cur gt 1 } || { sc1_http_req_rate gt 10 } || heavy !{ sc1_tracked }\n",
		"use_backend iota_heavy if heavy\n    default_backend iota_node\n",
		"timeout server 2m\n    server node 127.0.0.1:9000 maxconn 1 ",
		"store conn_cur,http_req_rate(1m)",
		`http-response set-header Access-Control-Allow-Origin "*"`,
	} {
		if !strings.Contains(def, want) {
			t.Errorf("default gateway lacks %q", want)
		}
	}
	for _, bad := range []string{"unsafe_moveCall", "iotax_subscribe", "websocket", "txn.batch0", "X-IOTA-API-Version", "option forwardfor"} {
		if strings.Contains(def, bad) {
			t.Errorf("default gateway contains %q", bad)
		}
	}
	full := Render(decodeVariant(t, variants[5]).Settings())
	for _, want := range []string{
		"bind [::]:9002",
		"{0,2}\\])",
		"http-request set-var(txn.batch2) req.body,json_query('$[2].method') if batch\n",
		"!{ var(txn.batch2) -m reg '^(?:iota_getLatestCheckpointSequenceNumber|iota_getObject|iotax_subscribeEvent)$' }",
		"acl cors_origin req.hdr(Origin) -m str https://wallet.example.org http://localhost:3000\n",
		"str(bad-origin) if { req.hdr_cnt(Origin) gt 0 } !cors_origin\n",
		"track-sc2 src,ipmask(32,64) table per_client_websocket if { var(txn.verdict) -m str websocket } !trusted\n",
		"http-request allow if { var(txn.verdict) -m str websocket }\n",
		"use_backend iota_websocket if { var(txn.verdict) -m str websocket }\n",
		"timeout tunnel 60m\n    server node 127.0.0.1:9100 maxconn 200\n",
		"str(client-busy) if { sc1_conn_cur gt 1 } || heavy !{ sc1_tracked } !trusted\n",
		"store conn_cur\n",
	} {
		if !strings.Contains(full, want) {
			t.Errorf("full gateway lacks %q", want)
		}
	}
	if strings.Contains(full, batchRefusal) {
		t.Error("a gateway that serves batches still refuses them")
	}
}

func TestJSONRPCWarnings(t *testing.T) {
	if w := decodeVariant(t, variants[4]).warnings(); len(w) != 0 {
		t.Errorf("default gateway warns: %q", w)
	}
	w := decodeVariant(t, variants[5]).warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "websocket = true: HAProxy does not read WebSocket messages") {
		t.Errorf("warnings %q", w)
	}
	m := Factory.New().(*Module)
	moduletest.MustDecode(t, m, "haproxy {\n  api = \"iota-json-rpc\"\n  heavy_maxconn = 4\n  heavy_maxconn_per_ip = 0\n  heavy_requests_per_ip = 0\n}")
	if w := m.warnings(); len(w) != 2 || !strings.HasPrefix(w[0], "heavy_maxconn = 4: each dev-inspect") ||
		!strings.HasPrefix(w[1], "heavy_maxconn_per_ip and heavy_requests_per_ip are 0") {
		t.Errorf("warnings %q", w)
	}
}
