package haproxy

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// header opens every rendered file: the whole file is harden's.
const header = `# Managed by harden (haproxy block of the profile). The whole file is
# rendered from the profile: edits here are replaced by the next apply.
`

// Render returns haproxy.cfg for the settings. It is deterministic: the
// same settings give the same bytes, so a second plan is empty.
func Render(s Settings) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	renderHead(w, s)
	if s.JSONRPC != nil {
		renderJSONRPC(w, s)
		return b.String()
	}
	renderFrontend(w, s)
	powAllowed := contains(s.AllowedCommands, powCommand)
	renderSlotComment(w)
	renderBackend(w, "iri_node", "every other allowed command", s.Node, s.NodeMaxConn, s.NodeQueueTimeout, s.NodeTimeout)
	if len(heavyRouted(s)) > 0 {
		renderBackend(w, "iri_heavy", "heavy commands: a tiny maxconn and a short queue", s.Node,
			s.HeavyMaxConn, s.HeavyQueueTimeout, s.HeavyTimeout)
	}
	if powAllowed {
		renderBackend(w, "iri_pow", "proof of work, globally bounded", s.Node, s.PoWMaxConn, s.PoWQueueTimeout, s.PoWTimeout)
	}
	renderClientTables(w, s)
	return b.String()
}

// renderHead writes the header comment and the global and defaults
// sections both gateways share.
func renderHead(w func(string, ...any), s Settings) {
	w("%s", strings.TrimSuffix(header, "\n"))

	w("")
	w("global")
	w("    log %s format short local0 info", logTarget(s.Log))
	if s.Chroot != "" {
		w("    chroot %s", s.Chroot)
	}
	if s.User != "" {
		w("    user %s", s.User)
	}
	if s.Group != "" {
		w("    group %s", s.Group)
	}
	w("    # The admin socket is for root alone; there is no TCP stats or admin listener.")
	w("    stats socket %s mode 600 level admin", s.AdminSocket)
	w("    stats timeout 30s")
	w("    maxconn %d", s.MaxConn)
	w("    # A request body is judged whole: the buffer holds headers and the largest body.")
	w("    tune.bufsize %d", bufSize(s.MaxBodyBytes))

	w("")
	w("defaults")
	w("    mode http")
	w("    log global")
	w("    option dontlognull")
	w("    timeout connect %s", dur(s.ConnectTimeout))
	w("    # Slow clients: headers and body within http-request, idle keep-alive and")
	w("    # silent clients are cut; none of this runs while the node computes.")
	w("    timeout client %s", dur(s.ClientTimeout))
	w("    timeout http-request %s", dur(s.HTTPRequestTimeout))
	w("    timeout http-keep-alive %s", dur(s.KeepAliveTimeout))
	w("    timeout queue %s", dur(s.NodeQueueTimeout))
	w("    timeout server %s", dur(s.NodeTimeout))
}

// renderSlotComment says why the backends wait as long as the node
// computes.
func renderSlotComment(w func(string, ...any)) {
	w("")
	w("# The node keeps computing after its client has gone away. A server timeout")
	w("# shorter than the node's worst computation would free the proxy's slot while")
	w("# the node is still busy, and the next calls would pile up behind it (the")
	w("# outage this proxy exists for). So each backend waits at least as long as the")
	w("# node may compute, maxconn bounds the node's sockets and busy workers, and a")
	w("# client that aborts does not abort the node's connection (no abortonclose):")
	w("# the slot stays taken until the node is really done.")
}

func renderFrontend(w func(string, ...any), s Settings) {
	renderFrontendHead(w, s, "iri_api", "JSON command", "cmd=%%[var(txn.cmd_log)]")
	renderClientLimits(w, s)
	w("    http-request set-var(txn.verdict) str(pass)")
	if s.MaxRequestsPerIP > 0 {
		deny(w, "rate-limited", 429, "Too many requests", fmt.Sprintf("{ sc0_http_req_rate gt %d }", s.MaxRequestsPerIP))
	}
	w("")
	w("    # IRI answers on any path: only the API's own, \"/\" with no query string")
	w("    # (also in absolute form), reaches it. /api/v1, //, /?x or an encoded")
	w("    # variant never gets through.")
	deny(w, "bad-path", 404, "Not found", "!{ pathq -m str / }")
	if s.CORS {
		w("")
		w("    # Browser wallets ask first; answered here, the node never sees it.")
		w(`    http-request return status 204 hdr Access-Control-Allow-Origin "*" hdr Access-Control-Allow-Methods "POST, OPTIONS" hdr Access-Control-Allow-Headers "Origin, X-Requested-With, Content-Type, Accept, X-IOTA-API-Version" hdr Access-Control-Max-Age 86400 if METH_OPTIONS`)
		w(`    http-response set-header Access-Control-Allow-Origin "*"`)
	}

	w("")
	w("    # Only the API's own shape of request reaches the node.")
	deny(w, "bad-method", 405, "Only POST is accepted", "!METH_POST")
	if s.RequireAPIVersion {
		deny(w, "no-api-version", 400, "Invalid API Version", "!{ req.hdr_cnt(X-IOTA-API-Version) eq 1 }")
	}
	if s.RequireJSONContentType {
		deny(w, "bad-content-type", 415, "Content-Type must be application/json",
			`!{ req.hdr_cnt(Content-Type) eq 1 } || !{ req.hdr(Content-Type) -m reg -i '^application/json[ \t]*(;.*)?$' }`)
	}
	deny(w, "no-length", 411, "A Content-Length is required", "!{ req.hdr_cnt(Content-Length) eq 1 } || { req.hdr_cnt(Transfer-Encoding) gt 0 }")
	deny(w, "too-large", 413, "Request body too large", fmt.Sprintf("{ req.hdr_val(Content-Length) gt %d } || { req.body_size gt %d }", s.MaxBodyBytes, s.MaxBodyBytes))

	w("")
	w("    # The command is read with HAProxy's JSON parser (escapes decoded), never a")
	w("    # raw regex. IRI reads bodies with a lenient JSON parser (Gson: comments,")
	w("    # single quotes, unquoted words, the last of duplicate keys); where the two")
	w("    # could disagree about which command a body carries, the request is denied.")
	w("    http-request set-var(txn.cmd) req.body,json_query('$.command')")
	w("    http-request set-var(txn.cmd_log) var(txn.cmd),regsub('[^A-Za-z0-9]','_',g)")
	w("")
	w("    # The node's REMOTE_LIMIT_API: behind the proxy every call comes from loopback,")
	w("    # where IRI no longer applies it, so the proxy does.")
	if len(s.LimitedCommands) > 0 {
		deny(w, "remote-limited", 403, "COMMAND is not available on this node", "{ var(txn.cmd) -m str "+strings.Join(s.LimitedCommands, " ")+" }")
	}
	allowed := "!{ var(txn.cmd) -m found }"
	if len(s.AllowedCommands) > 0 {
		allowed = "!{ var(txn.cmd) -m str " + strings.Join(s.AllowedCommands, " ") + " }"
	}
	deny(w, "not-allowed", 403, "COMMAND is not available on this node", allowed)
	w("")
	w("    # Then the body itself: where HAProxy and the node could read it apart, deny.")
	if s.StrictJSON {
		w("    # Strict JSON only: a flat object of quoted keys with strings (no escapes),")
		w("    # numbers, literals or arrays of them; nothing a lenient parser reads otherwise.")
		deny(w, "not-strict-json", 400, "Request body is not strict JSON", fmt.Sprintf("!{ req.body -m reg '%s' }", BodyShapeRegex(true)))
	} else {
		deny(w, "lenient-json", 400, "Request body uses syntax the node reads differently", fmt.Sprintf("{ req.body -m reg '%s' }", lenientMarkers))
	}
	deny(w, "ambiguous-command", 400, "Request body names a command more than once", fmt.Sprintf("{ req.body -m reg '%s' }", repeatedCommand))

	renderOnePerClient(w, s)
	w("")
	if contains(s.AllowedCommands, powCommand) {
		w("    use_backend iri_pow if { var(txn.cmd) -m str %s }", powCommand)
	}
	if heavy := heavyRouted(s); len(heavy) > 0 {
		w("    use_backend iri_heavy if { var(txn.cmd) -m str %s }", strings.Join(heavy, " "))
	}
	w("    default_backend iri_node")
}

// renderFrontendHead opens a frontend: its binds, its connection cap, a
// whole body before any rule, and one log line per request naming what
// (logField) the request asked for.
func renderFrontendHead(w func(string, ...any), s Settings, name, what, logField string) {
	w("")
	w("frontend %s", name)
	for _, a := range s.Addresses {
		w("    bind %s", bindAddr(a, s.Port))
	}
	w("    maxconn %d", s.MaxConn)
	w("    option http-buffer-request")
	w("    # One line per request: client, %s, verdict, status and the time the", what)
	w("    # node took (node_ms, -1 when the request never reached it). Never a body.")
	w(`    log-format "%%ci:%%cp [%%tr] %%ft %%b/%%s ` + logField + ` verdict=%%[var(txn.verdict)] status=%%ST bytes=%%B node_ms=%%Tr queue_ms=%%Tw total_ms=%%Ta term=%%tsc conns=%%ac/%%fc/%%bc/%%sc queues=%%sq/%%bq"`)
}

// deny renders a verdict: the variable the log line names, then the deny
// with a JSON body a wallet can show.
func deny(w func(string, ...any), verdict string, status int, msg, cond string) {
	w("    http-request set-var(txn.verdict) str(%s) if %s", verdict, cond)
	w(`    http-request deny status %d content-type application/json string '{"error":"%s"}' if { var(txn.verdict) -m str %s }`,
		status, msg, verdict)
}

func renderBackend(w func(string, ...any), name, what, node string, maxconn int, queue, server time.Duration) {
	w("")
	w("backend %s", name)
	w("    # %s", what)
	w("    no option abortonclose")
	w("    # Connections to the node are reused; at most maxconn busy and maxconn idle.")
	w("    http-reuse always")
	w("    timeout queue %s", dur(queue))
	w("    timeout server %s", dur(server))
	w("    server node %s maxconn %d pool-max-conn %d pool-purge-delay 5s", node, maxconn, maxconn)
}

// heavyRouted are the heavy commands that are allowed at all.
func heavyRouted(s Settings) []string {
	var out []string
	for _, c := range s.HeavyCommands {
		if contains(s.AllowedCommands, c) && c != powCommand {
			out = append(out, c)
		}
	}
	return out
}

// lenientMarkers are bytes that only a lenient parser gives meaning to
// (escapes, comments, single quotes, `=`/`;` separators); legitimate IOTA
// requests (trytes, numbers, command names) never hold them. Hex escapes
// keep the pattern inside a single-quoted HAProxy word.
const lenientMarkers = `[\x5c/#\x27;=]`

// repeatedCommand matches a body that says "command" twice anywhere: the
// two parsers may pick different ones (and nothing legitimate repeats it).
const repeatedCommand = `(?s)command.*command`

// BodyShapeRegex is the strict JSON shape a request body must have: one
// flat object whose keys are plain words and whose values are strings
// without escapes or control characters, JSON numbers, true/false/null, or
// arrays of those. possessive renders PCRE's possessive quantifiers (no
// backtracking on large bodies); Go's regexp has none and gets plain ones.
func BodyShapeRegex(possessive bool) string {
	rep := "*"
	if possessive {
		rep = "*+"
	}
	const ws = `[ \t\r\n]*`
	str := `"[^"\\\x00-\x1f]*"`
	num := `-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`
	scalar := `(?:` + str + `|` + num + `|true|false|null)`
	array := `\[` + ws + `(?:` + scalar + `(?:` + ws + `,` + ws + scalar + `)` + rep + `)?` + ws + `\]`
	member := `"[A-Za-z0-9_]+"` + ws + `:` + ws + `(?:` + scalar + `|` + array + `)`
	return `^` + ws + `\{` + ws + member + `(?:` + ws + `,` + ws + member + `)` + rep + ws + `\}` + ws + `$`
}

// bufSize fits the request headers and the largest allowed body in one
// buffer (with HAProxy's rewrite reserve), rounded up to 4 KiB.
func bufSize(maxBody int) int {
	n := maxBody + 16384 + 1024
	return (n + 4095) / 4096 * 4096
}

func bindAddr(addr string, port int) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
		return fmt.Sprintf("[%s]:%d", addr, port)
	}
	return fmt.Sprintf("%s:%d", addr, port)
}

func logTarget(t string) string {
	if t == "" {
		return "stdout"
	}
	return t
}

// dur renders a duration in HAProxy's units, the largest exact one.
func dur(d time.Duration) string {
	switch {
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	default:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	}
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
