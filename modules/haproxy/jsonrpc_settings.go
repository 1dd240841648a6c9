package haproxy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/iota"
	"harden/modules/module"
)

// The APIs the haproxy block can front.
const (
	APIIRI         = "iri"
	APIIOTAJSONRPC = "iota-json-rpc"
)

// JSONRPC is what the JSON-RPC gateway adds to Settings.
type JSONRPC struct {
	// AllowedMethods reach the node; every other method is refused.
	AllowedMethods []string
	// HeavyMethods execute Move code without gas: their own backend
	// (HeavyMaxConn at once), HeavyMaxConnPerIP in flight and
	// HeavyRequestsPerIP per HeavyRatePeriod for each client.
	HeavyMethods       []string
	HeavyRequestsPerIP int
	HeavyRatePeriod    time.Duration
	// MaxBatch is the most requests one JSON array may hold; 0 refuses
	// batches as iota-node itself does.
	MaxBatch int
	// CORSOrigins may call from a browser: ["*"] for any, empty for none.
	CORSOrigins []string
	// WebSocket forwards upgrades on / and /subscribe to the node (which
	// serves them only with jsonrpc-server-type websocket or both), at
	// most MaxWebSocketsPerIP per client and WebSocketMaxConn in all.
	WebSocket          bool
	MaxWebSocketsPerIP int
	WebSocketMaxConn   int
	WebSocketTimeout   time.Duration
}

// jsonRPCAttributes belong to the JSON-RPC gateway (api = "iota-json-rpc").
var jsonRPCAttributes = []string{
	"allowed_methods", "heavy_methods", "heavy_requests_per_ip", "heavy_rate_period", "max_batch", "cors_origins",
	"websocket", "max_websockets_per_ip", "websocket_maxconn", "websocket_timeout",
}

// jsonRPCPort is the gateway's public port: iota-node keeps 9000 on
// loopback, and the proxy takes the next free one but one, as IRI's
// 14265/14267 did.
const jsonRPCPort = 9002

// maxBatchCap bounds max_batch: each element is one more check rendered
// into the configuration.
const maxBatchCap = 50

// DefaultAllowedMethods are what a public node answers: every method but
// the transaction builder (unsafe_*) and the subscriptions, which need
// WebSocket.
func DefaultAllowedMethods() []string {
	var out []string
	for _, m := range iota.Methods {
		if !iota.Unsafe(m) && !iota.Subscription(m) {
			out = append(out, m)
		}
	}
	return out
}

// DefaultJSONRPCSettings are the safe defaults of
// `haproxy { api = "iota-json-rpc" }`.
func DefaultJSONRPCSettings() Settings {
	s := DefaultSettings()
	s.Port = jsonRPCPort
	s.Node = "127.0.0.1:9000"
	// The largest transaction is 128 KiB (max_tx_size_bytes), about 171
	// KiB as base64 in a body: 256 KiB holds it with its signatures.
	s.MaxBodyBytes = 256 << 10
	// iota-node sets no time limit on dev-inspect and dry-run; the proxy
	// waits this long before it gives the slot back.
	s.HeavyTimeout = 2 * time.Minute
	s.AllowedCommands, s.LimitedCommands, s.HeavyCommands = nil, nil, nil
	s.RequireAPIVersion, s.CORS = false, false
	s.JSONRPC = &JSONRPC{
		AllowedMethods:     DefaultAllowedMethods(),
		HeavyMethods:       slices.Clone(iota.Heavy),
		HeavyRequestsPerIP: 10,
		HeavyRatePeriod:    time.Minute,
		CORSOrigins:        []string{"*"},
		MaxWebSocketsPerIP: 4,
		WebSocketMaxConn:   200,
		WebSocketTimeout:   time.Hour,
	}
	return s
}

// decodeJSONRPC reads the JSON-RPC gateway's attributes.
func decodeJSONRPC(d *hclattr.Decoder, s *Settings) {
	j := s.JSONRPC
	if elems, p := d.StringList("allowed_methods"); p == hclattr.Set {
		j.AllowedMethods = methods(d, "allowed_methods", elems)
	}
	if elems, p := d.StringList("heavy_methods"); p == hclattr.Set {
		j.HeavyMethods = methods(d, "heavy_methods", elems)
	}
	j.HeavyRequestsPerIP = nonNegative(d, "heavy_requests_per_ip", j.HeavyRequestsPerIP)
	j.HeavyRatePeriod = duration(d, "heavy_rate_period", j.HeavyRatePeriod)
	if n, p := d.Int("max_batch", 0); p == hclattr.Set {
		if n < 0 || n > maxBatchCap {
			d.Error(d.Range("max_batch"), "Invalid value for max_batch", fmt.Sprintf("max_batch: %d is out of range "+
				"(0 refuses batches, as iota-node does; at most %d).", n, maxBatchCap))
		} else {
			j.MaxBatch = n
		}
	}
	if elems, p := d.StringList("cors_origins"); p == hclattr.Set {
		j.CORSOrigins = origins(d, elems)
	}
	j.WebSocket = d.Bool("websocket", j.WebSocket)
	j.MaxWebSocketsPerIP = nonNegative(d, "max_websockets_per_ip", j.MaxWebSocketsPerIP)
	j.WebSocketMaxConn = positive(d, "websocket_maxconn", j.WebSocketMaxConn, 100000)
	j.WebSocketTimeout = duration(d, "websocket_timeout", j.WebSocketTimeout)
}

// methods checks method names against iota-node's list. The transaction
// builder is never served through the public gateway: its calls are for
// the operator's own tools on loopback.
func methods(d *hclattr.Decoder, name string, elems []hclattr.Elem) []string {
	out := []string{}
	for _, e := range elems {
		switch {
		case !slices.Contains(iota.Methods, e.Value):
			d.Add(module.BadValue(e.Range, name, e.Value, "an iota-node JSON-RPC method", iota.Methods))
		case iota.Unsafe(e.Value):
			d.Error(e.Range, "Invalid value for "+name, fmt.Sprintf("%s: %s builds transactions for its caller "+
				"(the unsafe_ namespace); the public gateway never serves it: call it on the node's own address.", name, e.Value))
		case !slices.Contains(out, e.Value):
			out = append(out, e.Value)
		}
	}
	return out
}

// origins checks CORS origins: "*" alone, or scheme://host[:port] each.
func origins(d *hclattr.Decoder, elems []hclattr.Elem) []string {
	out := []string{}
	for _, e := range elems {
		switch {
		case e.Value == "*" && len(elems) == 1:
		case !originRE.MatchString(e.Value):
			d.Error(e.Range, "Invalid value for cors_origins", fmt.Sprintf("cors_origins: %q is not an origin; expected "+
				"scheme://host[:port] such as \"https://wallet.example.org\", or [\"*\"] alone for any origin.", e.Value))
			continue
		}
		if !slices.Contains(out, e.Value) {
			out = append(out, e.Value)
		}
	}
	return out
}

// AnyOrigin reports a gateway that lets every origin call from a browser.
func (j *JSONRPC) AnyOrigin() bool { return len(j.CORSOrigins) == 1 && j.CORSOrigins[0] == "*" }

// heavyRoutedMethods are the heavy methods that are allowed at all.
func heavyRoutedMethods(j *JSONRPC) []string {
	var out []string
	for _, m := range j.HeavyMethods {
		if slices.Contains(j.AllowedMethods, m) {
			out = append(out, m)
		}
	}
	return out
}

// lightMethods are the allowed methods that are not heavy: the only ones a
// batch may hold.
func lightMethods(j *JSONRPC) []string {
	var out []string
	for _, m := range j.AllowedMethods {
		if !slices.Contains(j.HeavyMethods, m) {
			out = append(out, m)
		}
	}
	return out
}

func joinWords(list []string) string { return strings.Join(list, " ") }

// originRE is an origin as browsers send it: scheme://host[:port], no
// path, nothing HAProxy would read as more than one word.
var originRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^[a-z][a-z0-9+.-]*://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// iotaPeer is what the gateway needs from the iota module.
type iotaPeer interface{ JSONRPCAddress() string }

// linkAPI checks that the block fronts the node the profile configures,
// and takes the JSON-RPC address from the iota block.
func (m *Module) linkAPI(peers module.Peers) hcl.Diagnostics {
	_, hasIRI := peers.Lookup("iri")
	iotaModule, hasIota := peers.Lookup("iota")
	rpc := m.settings.JSONRPC != nil
	mismatch := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "haproxy fronts another node", Detail: detail, Subject: m.dec.apiRange.Ptr()}}
	}
	switch {
	case rpc && hasIRI:
		return mismatch(`api = "iota-json-rpc" fronts iota-node, but the profile configures IRI (an iri block): set api = "iri", or drop the iri block.`)
	case !rpc && hasIota:
		return mismatch(`the profile configures iota-node (an iota block), but this block fronts IRI's command API: set api = "iota-json-rpc".`)
	case rpc && hasIota && !m.dec.nodeSet:
		if p, ok := iotaModule.(iotaPeer); ok {
			m.settings.Node = p.JSONRPCAddress()
		}
	}
	return nil
}

// jsonRPCWarnings name the JSON-RPC gateway's settings the operator chose
// to leave weak.
func jsonRPCWarnings(s Settings) []string {
	j := s.JSONRPC
	var w []string
	heavy := len(heavyRoutedMethods(j)) > 0
	if heavy && s.HeavyMaxConn > 2 {
		w = append(w, fmt.Sprintf("heavy_maxconn = %d: each dev-inspect or dry-run holds one of the node's runtime "+
			"workers (one per core) while its Move code runs; more than 2 at once can take every core of a small node", s.HeavyMaxConn))
	}
	if heavy && s.HeavyMaxConnPerIP == 0 && j.HeavyRequestsPerIP == 0 {
		w = append(w, "heavy_maxconn_per_ip and heavy_requests_per_ip are 0: one client can take every heavy slot and fill its queue")
	}
	if s.MaxConnPerIP == 0 && s.MaxRequestsPerIP == 0 {
		w = append(w, "no per-address limits (max_conn_per_ip and max_requests_per_ip are 0)")
	}
	if j.WebSocket {
		w = append(w, "websocket = true: HAProxy does not read WebSocket messages, so over WebSocket every method the "+
			"node serves (dev-inspect and unsafe_* included) passes the allowlist and the heavy backend; only the "+
			"connection caps apply")
	}
	return w
}
