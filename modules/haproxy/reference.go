package haproxy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"harden/modules/module"
)

// Reference documents the haproxy block; the defaults are DefaultSettings'.
func (m *Module) Reference() module.Reference {
	d, g := DefaultSettings(), DefaultJSONRPCSettings()
	n := strconv.Itoa
	b := strconv.FormatBool
	return module.Reference{
		Summary: "HAProxy in front of the node's API: installs Debian's package, renders the whole " +
			"/etc/haproxy/haproxy.cfg from the profile, checks it with `haproxy -c` before it goes live, reloads and " +
			"enables haproxy.service. Only well-formed JSON API calls of allowed commands reach the node; per-client " +
			"limits; the heavy calls get backends of their own. The IRI-only attributes (allowed_commands to pow_queue_timeout) and the " +
			"gateway's (allowed_methods on) are refused with the other api. A limit of 0 or false turns a policy off; null takes the default.",
		Attributes: append([]module.AttributeDoc{
			module.Attr("api", "string", strconv.Quote(APIIRI), fmt.Sprintf(`The API fronted: "iri" (IRI's command API) or `+
				`"iota-json-rpc" (iota-node's JSON-RPC gateway, whose defaults differ: port %d, node %q, max_body_bytes %d, heavy_timeout %s)`,
				g.Port, g.Node, g.MaxBodyBytes, durDoc(g.HeavyTimeout))),
			module.Attr("addresses", "list(string)", module.HCLList(d.Addresses), "IP addresses the public API listens on"),
			module.Attr("port", "number", n(d.Port), "The public API port (the firewall opens it)"),
			module.Attr("node", "string", strconv.Quote(d.Node), "The node's API behind the proxy, host:port; an iri block's port sets it"),
			module.Attr("allowed_commands", "list(string)", module.HCLList(readOnlyCommands),
				"API commands that reach the node; everything else gets 403. A command the iri block limits is an error here"),
			module.Attr("heavy_commands", "list(string)", module.HCLList(d.HeavyCommands), "Commands sent to a backend with a tiny connection limit"),
			module.Attr("max_body_bytes", "number", n(d.MaxBodyBytes), "Largest request body"),
			module.Attr("strict_json", "bool", b(d.StrictJSON), "Only a flat JSON object a strict and a lenient parser read alike reaches the node"),
			module.Attr("require_api_version", "bool", b(d.RequireAPIVersion), "Refuse calls without the X-IOTA-API-Version header"),
			module.Attr("require_json_content_type", "bool", b(d.RequireJSONContentType), "Refuse calls that are not Content-Type: application/json"),
			module.Attr("cors", "bool", b(d.CORS), "Answer browsers' CORS preflight requests"),
			module.Attr("max_conn_per_ip", "number", n(d.MaxConnPerIP), "Concurrent connections per client (an IPv6 client counts by its /64); 0: no limit"),
			module.Attr("max_requests_per_ip", "number", n(d.MaxRequestsPerIP), "Requests per client per rate_period; 0: no limit"),
			module.Attr("rate_period", "string", durDoc(d.RatePeriod), "The window of max_requests_per_ip"),
			module.Attr("trusted_addresses", "list(string)", "[]", "Addresses and CIDR prefixes exempt from the per-client limits"),
			module.Attr("node_maxconn", "number", n(d.NodeMaxConn), "Requests the node computes at once; the rest queue"),
			module.Attr("node_timeout", "string", durDoc(d.NodeTimeout), "How long the node may take to answer"),
			module.Attr("node_queue_timeout", "string", durDoc(d.NodeQueueTimeout), "How long a request waits for the node before 503"),
			module.Attr("heavy_maxconn", "number", n(d.HeavyMaxConn), "Heavy requests the node computes at once"),
			module.Attr("heavy_maxconn_per_ip", "number", n(d.HeavyMaxConnPerIP), "Heavy and proof-of-work calls in flight per client; 0: no limit"),
			module.Attr("heavy_timeout", "string", durDoc(d.HeavyTimeout), "How long a heavy request may take (IRI gives up tip selection after 60 s)"),
			module.Attr("heavy_queue_timeout", "string", durDoc(d.HeavyQueueTimeout), "How long a heavy request waits for its backend"),
			module.Attr("pow_maxconn", "number", n(d.PoWMaxConn), "attachToTangle calls computed at once (when allowed)"),
			module.Attr("pow_timeout", "string", durDoc(d.PoWTimeout), "How long attachToTangle may take"),
			module.Attr("pow_queue_timeout", "string", durDoc(d.PoWQueueTimeout), "How long attachToTangle waits for its backend"),
			module.Attr("client_timeout", "string", durDoc(d.ClientTimeout), "Idle time allowed to a client"),
			module.Attr("http_request_timeout", "string", durDoc(d.HTTPRequestTimeout), "Time for a client to send a whole request"),
			module.Attr("keepalive_timeout", "string", durDoc(d.KeepAliveTimeout), "Idle time between requests on a kept-alive connection"),
			module.Attr("connect_timeout", "string", durDoc(d.ConnectTimeout), "Time to connect to the node"),
			module.Attr("maxconn", "number", n(d.MaxConn), "Connections HAProxy holds in all"),
			module.Attr("log", "string", strconv.Quote(d.Log), "Where HAProxy logs: \"stdout\" (the journal), \"stderr\", a socket path or address:port"),
		}, jsonRPCReference()...),
	}
}

// jsonRPCReference documents the gateway's own attributes (api =
// "iota-json-rpc"); the defaults are DefaultJSONRPCSettings'.
func jsonRPCReference() []module.AttributeDoc {
	j := DefaultJSONRPCSettings().JSONRPC
	n := strconv.Itoa
	gw := "iota-json-rpc: "
	return []module.AttributeDoc{
		module.Attr("allowed_methods", "list(string)", "every method but unsafe_* and the subscriptions",
			gw+"JSON-RPC methods that reach the node; every other is refused"),
		module.Attr("heavy_methods", "list(string)", module.HCLList(j.HeavyMethods),
			gw+"methods that run Move code without gas: a backend of their own and per-client limits"),
		module.Attr("heavy_requests_per_ip", "number", n(j.HeavyRequestsPerIP), gw+"heavy calls per client per heavy_rate_period; 0: no limit"),
		module.Attr("heavy_rate_period", "string", durDoc(j.HeavyRatePeriod), gw+"the window of heavy_requests_per_ip"),
		module.Attr("max_batch", "number", n(j.MaxBatch), gw+"requests one JSON array may hold; 0 refuses batches, as iota-node does"),
		module.Attr("cors_origins", "list(string)", module.HCLList(j.CORSOrigins), gw+`origins browsers may call from: ["*"] for any, [] for none`),
		module.Attr("websocket", "bool", strconv.FormatBool(j.WebSocket), gw+"forward WebSocket upgrades on / and /subscribe to the node"),
		module.Attr("max_websockets_per_ip", "number", n(j.MaxWebSocketsPerIP), gw+"WebSockets per client"),
		module.Attr("websocket_maxconn", "number", n(j.WebSocketMaxConn), gw+"WebSockets in all"),
		module.Attr("websocket_timeout", "string", durDoc(j.WebSocketTimeout), gw+"idle time of a WebSocket"),
	}
}

// durDoc writes a duration as the profile does: "10s", "1m30s", "5m".
func durDoc(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return strconv.Quote(s)
}
