package haproxy

import (
	"regexp"
	"strings"
	"testing"

	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// fakeIRI stands in for the iri module in Link.
type fakeIRI struct {
	module.Module
	limited []string
	port    int
}

func (f fakeIRI) RemoteLimitAPI() []string { return f.limited }
func (f fakeIRI) APIPort() int             { return f.port }

type peers map[string]module.Module

func (p peers) Lookup(name string) (module.Module, bool) { m, ok := p[name]; return m, ok }

// fakeIota stands in for the iota module in Link.
type fakeIota struct {
	module.Module
	addr string
}

func (f fakeIota) JSONRPCAddress() string { return f.addr }

// variant is one profile block whose rendering is kept as a golden file.
type variant struct {
	name string
	src  string
	iri  *fakeIRI
	iota *fakeIota
}

var variants = []variant{
	{name: "default", src: `haproxy {}`},
	{name: "public-pow", src: `haproxy {
  addresses         = ["0.0.0.0", "::"]
  allowed_commands  = ["getNodeInfo", "getBalances", "getTransactionsToApprove", "broadcastTransactions",
                       "storeTransactions", "attachToTangle", "findTransactions"]
  heavy_commands    = ["getTransactionsToApprove", "findTransactions"]
  pow_maxconn       = 2
  pow_timeout       = "10m"
  trusted_addresses = ["10.1.0.0/16", "2001:db8::1"]
  max_body_bytes    = 200000
}`},
	{name: "open", src: `haproxy {
  port                      = 8080
  strict_json               = false
  require_api_version       = false
  require_json_content_type = false
  cors                      = false
  max_conn_per_ip           = 0
  heavy_maxconn_per_ip      = 0
  max_requests_per_ip       = 0
  heavy_timeout             = "1500ms"
  log                       = "/dev/log"
}`},
	{name: "linked", src: `haproxy {
  max_requests_per_ip = 30
  rate_period         = "1m"
}`, iri: &fakeIRI{limited: []string{"addNeighbors", "removeNeighbors", "getNeighbors", "attachToTangle",
		"interruptAttachingToTangle", "getNodeAPIConfiguration"}, port: 14266}},
	{name: "iota-json-rpc", src: `haproxy {
  api = "iota-json-rpc"
}`, iota: &fakeIota{addr: "127.0.0.1:9000"}},
	{name: "iota-json-rpc-full", src: `haproxy {
  api                   = "iota-json-rpc"
  addresses             = ["0.0.0.0", "::"]
  allowed_methods       = ["iota_getLatestCheckpointSequenceNumber", "iota_getObject", "iota_devInspectTransactionBlock",
                           "iotax_subscribeEvent"]
  heavy_maxconn         = 2
  max_batch             = 3
  cors_origins          = ["https://wallet.example.org", "http://localhost:3000"]
  websocket             = true
  trusted_addresses     = ["10.1.0.0/16"]
  heavy_requests_per_ip = 0
}`, iota: &fakeIota{addr: "127.0.0.1:9100"}},
}

// decodeVariant decodes and links a variant's block.
func decodeVariant(t testing.TB, v variant) *Module {
	t.Helper()
	m := Factory.New().(*Module)
	if diags := moduletest.Decode(t, m, v.src, nil); diags.HasErrors() {
		t.Fatalf("%s: decode: %s", v.name, diags.Error())
	}
	if v.iri != nil {
		if diags := m.Link(peers{"iri": *v.iri}); diags.HasErrors() {
			t.Fatalf("%s: link: %s", v.name, diags.Error())
		}
	}
	if v.iota != nil {
		if diags := m.Link(peers{"iota": *v.iota}); diags.HasErrors() {
			t.Fatalf("%s: link: %s", v.name, diags.Error())
		}
	}
	return m
}

func TestRenderGolden(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			got := Render(decodeVariant(t, v).Settings())
			moduletest.Golden(t, v.name+".cfg", []byte(got))
		})
	}
}

// TestRenderPolicies checks what each variant must and must not say, beyond
// byte equality with a golden file someone may have regenerated blindly.
func TestRenderPolicies(t *testing.T) {
	def := Render(decodeVariant(t, variants[0]).Settings())
	for _, want := range []string{
		"bind 0.0.0.0:14267",
		"server node 127.0.0.1:14265 maxconn 8",
		"stats socket /run/haproxy/admin.sock mode 600 level admin",
		"tcp-request connection reject if { sc0_conn_cur gt 20 }",
		"{ sc0_http_req_rate gt 100 }",
		"http_req_rate(10s)",
		"json_query('$.command')",
		"{ req.hdr_val(Content-Length) gt 65536 }",
		"use_backend iri_heavy if { var(txn.cmd) -m str getTransactionsToApprove }",
		"acl costly var(txn.cmd) -m str getTransactionsToApprove\n",
		"http-request track-sc1 src,ipmask(32,64) table per_client_costly if costly\n",
		"str(client-busy) if { sc1_conn_cur gt 1 }",
		"backend per_client_costly\n",
		"timeout server 90s\n    server node 127.0.0.1:14265 maxconn 1",
		"no option abortonclose",
		"verdict=%[var(txn.verdict)]",
		"node_ms=%Tr",
	} {
		if !strings.Contains(def, want) {
			t.Errorf("default config lacks %q", want)
		}
	}
	for _, bad := range []string{"iri_pow", "stats enable", "stats uri", "%[req.body", "listen "} {
		if strings.Contains(def, bad) {
			t.Errorf("default config contains %q", bad)
		}
	}
	// attachToTangle is denied by default through both lists.
	if !regexp.MustCompile(`remote-limited\) if \{ var\(txn.cmd\) -m str [^}]*attachToTangle`).MatchString(def) {
		t.Error("default config does not deny attachToTangle as remote-limited")
	}

	pub := Render(decodeVariant(t, variants[1]).Settings())
	for _, want := range []string{
		"bind [::]:14267",
		"backend iri_pow",
		"timeout server 10m\n    server node 127.0.0.1:14265 maxconn 2",
		"use_backend iri_pow if { var(txn.cmd) -m str attachToTangle }",
		"use_backend iri_heavy if { var(txn.cmd) -m str getTransactionsToApprove findTransactions }",
		"acl trusted src 10.1.0.0/16 2001:db8::1",
		"track-sc0 src,ipmask(32,64) unless trusted",
		"acl costly var(txn.cmd) -m str getTransactionsToApprove findTransactions attachToTangle\n",
		"track-sc1 src,ipmask(32,64) table per_client_costly if costly !trusted\n",
		"tcp-request connection reject unless { sc0_tracked } || trusted\n",
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("public-pow config lacks %q", want)
		}
	}
	if strings.Contains(pub, "remote-limited) if { var(txn.cmd) -m str addNeighbors removeNeighbors getNeighbors attachToTangle") {
		t.Error("explicitly allowed attachToTangle is still in the denied list")
	}

	open := Render(decodeVariant(t, variants[2]).Settings())
	for _, bad := range []string{"stick-table", "track-sc", "X-IOTA-API-Version) eq 1", "METH_OPTIONS", "not-strict-json"} {
		if strings.Contains(open, bad) {
			t.Errorf("open config still has %q", bad)
		}
	}
	if !strings.Contains(open, "lenient-json") || !strings.Contains(open, "log /dev/log format") {
		t.Error("open config lacks the lenient-syntax deny or its log target")
	}

	linked := Render(decodeVariant(t, variants[3]).Settings())
	if !strings.Contains(linked, "server node 127.0.0.1:14266") {
		t.Error("linked config does not use the iri block's API port")
	}
	if strings.Contains(linked, "-m str getNodeInfo getNodeAPIConfiguration") ||
		!strings.Contains(linked, "interruptAttachingToTangle getNodeAPIConfiguration }") {
		t.Error("linked config does not move getNodeAPIConfiguration from allowed to denied")
	}
}

// TestBodyShape checks the strict JSON shape against bodies both parsers
// read alike (accepted) and bodies a lenient parser reads its own way.
func TestBodyShape(t *testing.T) {
	re := regexp.MustCompile(BodyShapeRegex(false))
	accept := []string{
		`{"command":"getNodeInfo"}`,
		" {\n\t\"command\" : \"getBalances\", \"addresses\": [\"ABC9\", \"DEF\"], \"threshold\": 100 }\r\n",
		`{"command":"getTransactionsToApprove","depth":3,"reference":"XYZ99"}`,
		`{"command":"x","a":[],"b":-1.5e3,"c":true,"d":null,"e":false,"f":[1,2,"x"]}`,
		`{"command":"getNodeInfo","utf8":"héllo"}`,
	}
	reject := []string{
		`{"command":"\u0061ttachToTangle"}`,
		`{"command":"getNodeInfo"}/* {"command":"attachToTangle"} */`,
		`{"command":"getNodeInfo"} // x`,
		`{'command':'attachToTangle'}`,
		`{command:"attachToTangle"}`,
		`{"command":attachToTangle}`,
		`{"command"="attachToTangle"}`,
		`{"command":"getNodeInfo";"x":1}`,
		`{"command":"getNodeInfo","x":{"command":"attachToTangle"}}`,
		`{"command":"getNodeInfo",}`,
		`{"command":"getNodeInfo"}{"command":"attachToTangle"}`,
		`["command","getNodeInfo"]`,
		`{}`,
		`{"command":"a` + "\n" + `"}`,
		`{"command":"getNodeInfo","n":01}`,
		`{"command":"getNodeInfo","n":NaN}`,
		`{"command":"getNodeInfo"}` + "\f",
		`# {"command":"getNodeInfo"}`,
	}
	for _, b := range accept {
		if !re.MatchString(b) {
			t.Errorf("strict shape rejects a plain JSON body: %q", b)
		}
	}
	for _, b := range reject {
		if re.MatchString(b) {
			t.Errorf("strict shape accepts %q", b)
		}
	}
	// The PCRE flavour differs only in possessive quantifiers.
	if strings.ReplaceAll(BodyShapeRegex(true), "*+", "*") != BodyShapeRegex(false) {
		t.Error("possessive and plain shapes differ beyond their quantifiers")
	}
	lenient := regexp.MustCompile(lenientMarkers)
	for _, b := range []string{`{"command":"\u0061"}`, `{/*x*/"command":"a"}`, `{'command':'a'}`, `{"command"="a"}`, "#x"} {
		if !lenient.MatchString(b) {
			t.Errorf("lenient markers miss %q", b)
		}
	}
	rep := regexp.MustCompile(repeatedCommand)
	if !rep.MatchString("{\"command\":\"getNodeInfo\",\n command:\"attachToTangle\"}") || rep.MatchString(`{"command":"getNodeInfo"}`) {
		t.Error("repeated-command check is wrong")
	}
}

func TestDurAndBufSize(t *testing.T) {
	s := DefaultSettings()
	cases := map[string]string{dur(s.NodeTimeout): "1m", dur(s.HeavyTimeout): "90s", dur(1500e6): "1500ms"}
	for got, want := range cases {
		if got != want {
			t.Errorf("dur = %q, want %q", got, want)
		}
	}
	if b := bufSize(65536); b%4096 != 0 || b < 65536+16384 {
		t.Errorf("bufSize(65536) = %d", b)
	}
}
