package haproxy

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The JSON-RPC gateway in front of iota-node: the command gateway's design
// (one strict reading of the body, allowlist, bounded heavy backend that
// keeps its slot until the node is done, per-client limits) applied to
// JSON-RPC 2.0.

// Tables the JSON-RPC frontend tracks clients in.
const (
	heavyTable     = "per_client_heavy"
	websocketTable = "per_client_websocket"
)

// CORS request headers iota-node's own CORS layer allows.
const jsonRPCCORSHeaders = "Content-Type, Client-Sdk-Type, Client-Sdk-Version, Client-Target-Api-Version, App-Name"

// batchRefusal is iota-node's own answer to a batch.
const batchRefusal = `{"jsonrpc":"2.0","error":{"code":-32005,"message":"Batched requests are not supported by this server"},"id":null}`

func renderJSONRPC(w func(string, ...any), s Settings) {
	j := s.JSONRPC
	renderFrontendHead(w, s, "iota_json_rpc", "JSON-RPC method", "method=%%[var(txn.method_log)]")
	renderClientLimits(w, s)
	w("    http-request set-var(txn.verdict) str(pass)")
	if s.MaxRequestsPerIP > 0 {
		denyRPC(w, "rate-limited", 429, -32050, "Too many requests", fmt.Sprintf("{ sc0_http_req_rate gt %d }", s.MaxRequestsPerIP))
	}
	w("")
	w("    # iota-node's traffic controller reads the client from the first X-Forwarded-For")
	w("    # header (policy-config: x-forwarded-for: 1): the proxy replaces whatever the")
	w("    # client sent with the one address it saw.")
	w("    http-request set-header X-Forwarded-For %%[src]")
	if j.WebSocket {
		renderWebSocket(w, s)
	}
	w("")
	w("    # iota-node answers JSON-RPC on /, /json-rpc and /public (and its REST API on")
	w("    # /api/v1 when enabled): only \"/\" with no query string reaches it.")
	denyRPC(w, "bad-path", 404, -32600, "Not found", "!{ pathq -m str / }")
	renderCORS(w, j)

	w("")
	w("    # Only the API's own shape of request reaches the node.")
	denyRPC(w, "bad-method", 405, -32600, "Only POST is accepted", "!METH_POST")
	denyRPC(w, "bad-content-type", 415, -32600, "Content-Type must be application/json",
		`!{ req.hdr_cnt(Content-Type) eq 1 } || !{ req.hdr(Content-Type) -m reg -i '^application/json[ \t]*(;.*)?$' }`)
	denyRPC(w, "no-length", 411, -32600, "A Content-Length is required", "!{ req.hdr_cnt(Content-Length) eq 1 } || { req.hdr_cnt(Transfer-Encoding) gt 0 }")
	denyRPC(w, "too-large", 413, -32600, "Request body too large", fmt.Sprintf("{ req.hdr_val(Content-Length) gt %d } || { req.body_size gt %d }", s.MaxBodyBytes, s.MaxBodyBytes))

	w("")
	w("    # The body is read once, strictly: RFC 8259 JSON without a single escape, one")
	w("    # request object (or a batch of them) with exactly one \"method\" key holding a")
	w("    # plain string. So HAProxy's json_query and the node's serde read the same method:")
	w("    # no duplicate keys, no escaped or differently cased names, no comments or")
	w("    # trailing garbage. Deeper nesting than PCRE's limits fails closed.")
	denyRPC(w, "not-json-rpc", 400, -32700, "Request body is not strict JSON-RPC", fmt.Sprintf("!{ req.body -m reg '%s' }", RequestShapeRegex(j.MaxBatch)))
	w("    acl batch req.body -m reg '^[ \\t\\r\\n]*\\['")
	if j.MaxBatch == 0 {
		w("    # iota-node refuses batches; the proxy answers as it does.")
		w("    http-request set-var(txn.verdict) str(batch) if batch")
		w("    http-request return status 200 content-type application/json string '%s' if batch", batchRefusal)
	}
	w("    http-request set-var(txn.method) req.body,json_query('$.method')")
	w("    http-request set-var(txn.method_log) var(txn.method),regsub('[^A-Za-z0-9_.]','_',g)")
	w("")
	w("    # The method allowlist: the transaction builder (unsafe_*) and anything else")
	w("    # not listed never reach the node.")
	denyRPC(w, "not-allowed", 403, -32601, "Method not available on this node",
		"!batch !{ var(txn.method) -m reg '"+methodRegex(j.AllowedMethods)+"' }")
	if j.MaxBatch > 0 {
		renderBatchChecks(w, j)
	}
	renderHeavyPerClient(w, s)
	w("")
	if j.WebSocket {
		w("    use_backend iota_websocket if { var(txn.verdict) -m str websocket }")
	}
	if heavy := heavyRoutedMethods(j); len(heavy) > 0 {
		w("    use_backend iota_heavy if heavy")
	}
	w("    default_backend iota_node")

	renderSlotComment(w)
	renderBackend(w, "iota_node", "every other allowed method", s.Node, s.NodeMaxConn, s.NodeQueueTimeout, s.NodeTimeout)
	if len(heavyRoutedMethods(j)) > 0 {
		renderBackend(w, "iota_heavy", "dev-inspect and dry-run: Move code run for the caller without gas, a tiny maxconn and a short queue",
			s.Node, s.HeavyMaxConn, s.HeavyQueueTimeout, s.HeavyTimeout)
	}
	if j.WebSocket {
		w("")
		w("backend iota_websocket")
		w("    # JSON-RPC over WebSocket: HAProxy does not read the messages of an upgraded")
		w("    # connection, so only the number of connections is bounded here.")
		w("    timeout tunnel %s", dur(j.WebSocketTimeout))
		w("    server node %s maxconn %d", s.Node, j.WebSocketMaxConn)
	}
	renderJSONRPCTables(w, s)
}

// methodRegex matches exactly one of the names: one word however long the
// list (HAProxy reads at most 64 words on a line).
func methodRegex(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return "^(?:" + strings.Join(quoted, "|") + ")$"
}

// denyRPC renders a verdict with a JSON-RPC error body.
func denyRPC(w func(string, ...any), verdict string, status, code int, msg, cond string) {
	w("    http-request set-var(txn.verdict) str(%s) if %s", verdict, cond)
	w(`    http-request deny status %d content-type application/json string '{"jsonrpc":"2.0","error":{"code":%d,"message":"%s"},"id":null}' if { var(txn.verdict) -m str %s }`,
		status, code, msg, verdict)
}

// renderCORS answers browsers' preflight requests here and sets the
// response's Access-Control-Allow-Origin, replacing the node's own (which
// allows any origin).
func renderCORS(w func(string, ...any), j *JSONRPC) {
	w("")
	preflight := `http-request return status 204 hdr Access-Control-Allow-Origin "%s" hdr Access-Control-Allow-Methods "POST, OPTIONS" hdr Access-Control-Allow-Headers "` +
		jsonRPCCORSHeaders + `" hdr Access-Control-Max-Age 86400`
	switch {
	case j.AnyOrigin():
		w("    # Browsers of any origin may call; preflights are answered here.")
		w("    "+preflight+" if METH_OPTIONS", "*")
		w(`    http-response set-header Access-Control-Allow-Origin "*"`)
	case len(j.CORSOrigins) > 0:
		w("    # Browsers may call from the listed origins only; a request naming another")
		w("    # origin is refused, preflight or not.")
		w("    acl cors_origin req.hdr(Origin) -m str %s", joinWords(j.CORSOrigins))
		denyRPC(w, "bad-origin", 403, -32600, "Origin not allowed", "{ req.hdr_cnt(Origin) gt 0 } !cors_origin")
		w("    http-request set-var(txn.origin) req.hdr(Origin) if cors_origin")
		w("    "+preflight+" hdr Vary Origin if METH_OPTIONS cors_origin", "%[var(txn.origin)]")
		w("    http-response del-header Access-Control-Allow-Origin")
		w("    http-response set-header Access-Control-Allow-Origin %%[var(txn.origin)] if { var(txn.origin) -m found }")
	default:
		w("    # No browser may call: a request naming an origin is refused.")
		denyRPC(w, "bad-origin", 403, -32600, "Origin not allowed", "{ req.hdr_cnt(Origin) gt 0 }")
		w("    http-response del-header Access-Control-Allow-Origin")
	}
}

// renderWebSocket routes upgrades on / and /subscribe to the node, a few
// per client, before the POST-only rules.
func renderWebSocket(w func(string, ...any), s Settings) {
	j := s.JSONRPC
	w("")
	w("    # JSON-RPC over WebSocket (GET / or /subscribe with Upgrade: websocket) goes to")
	w("    # its own backend, at most max_websockets_per_ip at once per client. Its messages")
	w("    # pass unread: every method the node serves over WebSocket is open there.")
	w("    acl websocket_upgrade req.hdr(Upgrade) -m str -i websocket")
	w("    http-request set-var(txn.verdict) str(websocket) if METH_GET websocket_upgrade { path -m str / /subscribe }")
	w("    http-request set-var(txn.method_log) str(websocket) if { var(txn.verdict) -m str websocket }")
	if j.MaxWebSocketsPerIP > 0 {
		w("    http-request track-sc2 %s table %s if { var(txn.verdict) -m str websocket }%s", clientKey, websocketTable, notTrusted(s))
		denyRPC(w, "websocket-busy", 429, -32050, "Too many WebSocket connections from this client",
			fmt.Sprintf("{ var(txn.verdict) -m str websocket } { sc2_conn_cur gt %d } || { var(txn.verdict) -m str websocket } !{ sc2_tracked }%s",
				j.MaxWebSocketsPerIP, notTrusted(s)))
	}
	w("    http-request allow if { var(txn.verdict) -m str websocket }")
}

// renderBatchChecks checks every element of a batch: each method must be
// allowed and light (a heavy call goes alone, through its own backend).
// The shape regex already bounds the batch to MaxBatch elements, each with
// exactly one method.
func renderBatchChecks(w func(string, ...any), j *JSONRPC) {
	w("")
	w("    # A batch holds at most max_batch requests (the shape above); each one's method")
	w("    # must be allowed and light: dev-inspect and dry-run are only served alone.")
	w("    http-request set-var(txn.method_log) str(batch) if batch")
	light := methodRegex(lightMethods(j))
	for i := 0; i < j.MaxBatch; i++ {
		v := fmt.Sprintf("txn.batch%d", i)
		w("    http-request set-var(%s) req.body,json_query('$[%d].method') if batch", v, i)
		denyRPC(w, "not-allowed-in-batch", 403, -32601, "Method not available in a batch on this node",
			fmt.Sprintf("batch { var(%s) -m found } !{ var(%s) -m reg '%s' }", v, v, light))
	}
}

// renderHeavyPerClient bounds each client's heavy calls: in flight at
// once, and per heavy_rate_period.
func renderHeavyPerClient(w func(string, ...any), s Settings) {
	j := s.JSONRPC
	heavy := heavyRoutedMethods(j)
	if len(heavy) == 0 {
		return
	}
	w("")
	w("    acl heavy var(txn.method) -m str %s", joinWords(heavy))
	if !heavyTracked(s) {
		return
	}
	w("    # Each client may have heavy_maxconn_per_ip heavy calls in flight and")
	w("    # heavy_requests_per_ip of them per heavy_rate_period; the rest are refused at")
	w("    # once instead of queueing in front of everyone else's.")
	w("    http-request track-sc1 %s table %s if heavy%s", clientKey, heavyTable, notTrusted(s))
	var over []string
	if s.HeavyMaxConnPerIP > 0 {
		over = append(over, fmt.Sprintf("{ sc1_conn_cur gt %d }", s.HeavyMaxConnPerIP))
	}
	if j.HeavyRequestsPerIP > 0 {
		over = append(over, fmt.Sprintf("{ sc1_http_req_rate gt %d }", j.HeavyRequestsPerIP))
	}
	// Untracked, a client's heavy call met a full table: refused too.
	denyRPC(w, "client-busy", 429, -32050, "Too many heavy calls from this client",
		fmt.Sprintf("%s || heavy !{ sc1_tracked }%s", strings.Join(over, " || "), notTrusted(s)))
}

// heavyTracked: the per-client heavy table is needed.
func heavyTracked(s Settings) bool {
	return len(heavyRoutedMethods(s.JSONRPC)) > 0 && (s.HeavyMaxConnPerIP > 0 || s.JSONRPC.HeavyRequestsPerIP > 0)
}

func renderJSONRPCTables(w func(string, ...any), s Settings) {
	j := s.JSONRPC
	if heavyTracked(s) {
		store := "conn_cur"
		if j.HeavyRequestsPerIP > 0 {
			store += fmt.Sprintf(",http_req_rate(%s)", dur(j.HeavyRatePeriod))
		}
		w("")
		w("backend %s", heavyTable)
		w("    # Each client's heavy calls in flight and per heavy_rate_period.")
		w("    stick-table type ipv6 size %s expire %s nopurge store %s", tableSize(s), dur(maxDur(j.HeavyRatePeriod*2, time.Minute)), store)
	}
	if j.WebSocket && j.MaxWebSocketsPerIP > 0 {
		w("")
		w("backend %s", websocketTable)
		w("    # Each client's WebSocket connections.")
		w("    stick-table type ipv6 size %s expire 1m nopurge store conn_cur", tableSize(s))
	}
}

// RequestShapeRegex is the strict shape of a JSON-RPC body: RFC 8259 JSON
// whose strings hold no escape and no control character, one request
// object or an array (batch) of them: 1 to maxBatch, or any number when
// maxBatch is 0 (batches are then refused as a whole afterwards). A
// request object has exactly one "method" member, a plain string; other
// members may hold any JSON (the nesting is matched by PCRE recursion:
// Go's regexp cannot run it). Possessive quantifiers keep a large body
// from backtracking.
func RequestShapeRegex(maxBatch int) string {
	const ws = `[ \t\r\n]*+`
	const str = `"[^"\\\x00-\x1f]*+"`
	const num = `-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+`
	define := `(?(DEFINE)` +
		`(?<s>` + str + `)` +
		`(?<v>(?&s)|` + num + `|true|false|null|(?&o)|(?&a))` +
		`(?<o>\{` + ws + `(?:(?&s)` + ws + `:` + ws + `(?&v)` + ws + `(?:,` + ws + `(?&s)` + ws + `:` + ws + `(?&v)` + ws + `)*+)?+\})` +
		`(?<a>\[` + ws + `(?:(?&v)` + ws + `(?:,` + ws + `(?&v)` + ws + `)*+)?+\])` +
		`(?<m>(?!"method")(?&s)` + ws + `:` + ws + `(?&v))` +
		`(?<r>\{` + ws + `(?:(?&m)` + ws + `,` + ws + `)*+"method"` + ws + `:` + ws + `(?&s)` + ws + `(?:,` + ws + `(?&m)` + ws + `)*+\})` +
		`)`
	more := `*+`
	if maxBatch > 0 {
		more = fmt.Sprintf(`{0,%d}`, maxBatch-1)
	}
	body := `(?:(?&r)|\[` + ws + `(?&r)` + ws + `(?:,` + ws + `(?&r)` + ws + `)` + more + `\])`
	return `^` + ws + body + ws + `$` + define
}
