package haproxy

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/internal/netaddr"
	"harden/modules/internal/oneline"
	"harden/modules/module"
)

// Settings is everything the rendered haproxy.cfg depends on. The profile
// sets the policy part; the process part (paths, user, log target) is fixed
// for a real machine and only changed by tests that run HAProxy themselves.
type Settings struct {
	// Addresses and Port are where the public API listens.
	Addresses []string
	Port      int
	// Node is the IRI API behind the proxy (host:port, loopback).
	Node string

	// AllowedCommands reach the node; everything else gets 403.
	AllowedCommands []string
	// LimitedCommands are the node's REMOTE_LIMIT_API: denied with their
	// own verdict in the log. Behind the proxy every call reaches the node
	// from loopback, where IRI no longer applies its own limit.
	LimitedCommands []string
	// HeavyCommands go to a backend with a tiny maxconn.
	HeavyCommands []string

	MaxBodyBytes           int
	StrictJSON             bool
	RequireAPIVersion      bool
	RequireJSONContentType bool
	CORS                   bool

	// Per client address; 0 turns a limit off. TrustedAddresses (IPs or
	// CIDR prefixes) are exempt.
	MaxConnPerIP     int
	MaxRequestsPerIP int
	RatePeriod       time.Duration
	TrustedAddresses []string

	NodeMaxConn      int
	NodeTimeout      time.Duration
	NodeQueueTimeout time.Duration
	HeavyMaxConn     int
	// HeavyMaxConnPerIP bounds one client's heavy and proof-of-work calls
	// in flight (0: unbounded); trusted addresses are exempt.
	HeavyMaxConnPerIP int
	HeavyTimeout      time.Duration
	HeavyQueueTimeout time.Duration
	PoWMaxConn        int
	PoWTimeout        time.Duration
	PoWQueueTimeout   time.Duration

	ClientTimeout      time.Duration
	HTTPRequestTimeout time.Duration
	KeepAliveTimeout   time.Duration
	ConnectTimeout     time.Duration
	MaxConn            int

	// Log is "stdout" (the journal, through the systemd unit) or a syslog
	// target such as "/dev/log".
	Log string

	// Process placement: fixed on a machine, overridden by tests.
	AdminSocket string
	Chroot      string
	User, Group string
	// ClientTableSize is the entries of each per-client table (tests fill
	// a small one).
	ClientTableSize int

	// JSONRPC is the JSON-RPC gateway's own part, set when the block
	// fronts iota-node (api = "iota-json-rpc"); nil for IRI.
	JSONRPC *JSONRPC
}

// IRI gives up a tip-selection walk after TIP_SELECTION_TIMEOUT_SEC (60 s by
// default): its worst computation on the heavy path.
const iriTipSelectionTimeout = 60 * time.Second

// DefaultSettings are the safe defaults a bare `haproxy {}` block gets.
func DefaultSettings() Settings {
	return Settings{
		Addresses:              []string{"0.0.0.0"},
		Port:                   14267,
		Node:                   "127.0.0.1:14265",
		AllowedCommands:        append([]string(nil), readOnlyCommands...),
		LimitedCommands:        append([]string(nil), defaultRemoteLimitAPI...),
		HeavyCommands:          []string{"getTransactionsToApprove"},
		MaxBodyBytes:           64 << 10,
		StrictJSON:             true,
		RequireAPIVersion:      true,
		RequireJSONContentType: true,
		CORS:                   true,
		MaxConnPerIP:           20,
		MaxRequestsPerIP:       100,
		RatePeriod:             10 * time.Second,
		NodeMaxConn:            8,
		NodeTimeout:            60 * time.Second,
		NodeQueueTimeout:       5 * time.Second,
		HeavyMaxConn:           1,
		HeavyMaxConnPerIP:      1,
		HeavyTimeout:           iriTipSelectionTimeout + 30*time.Second,
		HeavyQueueTimeout:      2 * time.Second,
		PoWMaxConn:             1,
		PoWTimeout:             5 * time.Minute,
		PoWQueueTimeout:        2 * time.Second,
		ClientTimeout:          30 * time.Second,
		HTTPRequestTimeout:     10 * time.Second,
		KeepAliveTimeout:       5 * time.Second,
		ConnectTimeout:         5 * time.Second,
		MaxConn:                2000,
		Log:                    "stdout",
		AdminSocket:            "/run/haproxy/admin.sock",
		Chroot:                 "/var/lib/haproxy",
		User:                   "haproxy",
		Group:                  "haproxy",
		ClientTableSize:        100 << 10,
	}
}

// commonAttributes are the haproxy block's attributes whatever API it
// fronts.
var commonAttributes = []string{
	"api", "addresses", "port", "node", "max_body_bytes",
	"max_conn_per_ip", "max_requests_per_ip", "rate_period", "trusted_addresses",
	"node_maxconn", "node_timeout", "node_queue_timeout",
	"heavy_maxconn", "heavy_maxconn_per_ip", "heavy_timeout", "heavy_queue_timeout",
	"client_timeout", "http_request_timeout", "keepalive_timeout", "connect_timeout",
	"maxconn", "log",
}

// iriAttributes belong to IRI's command API (api = "iri").
var iriAttributes = []string{
	"allowed_commands", "heavy_commands", "strict_json", "require_api_version", "require_json_content_type", "cors",
	"pow_maxconn", "pow_timeout", "pow_queue_timeout",
}

// decoded remembers what the profile set explicitly, for Link.
type decoded struct {
	nodeSet, allowedSet bool
	allowedRange        hcl.Range
	apiRange            hcl.Range
}

func decodeSettings(block *hcl.Block, ctx *hcl.EvalContext) (Settings, decoded, hcl.Diagnostics) {
	var dec decoded
	d := hclattr.New(block, ctx, append(append(append([]string(nil), commonAttributes...), iriAttributes...), jsonRPCAttributes...)...)
	api, _ := d.String("api", APIIRI)
	dec.apiRange = d.Range("api")
	s := DefaultSettings()
	switch api {
	case APIIRI:
	case APIIOTAJSONRPC:
		s = DefaultJSONRPCSettings()
	default:
		d.Add(module.BadValue(d.Range("api"), "api", api, `"iri" (IRI's command API) or "iota-json-rpc" (iota-node's JSON-RPC)`,
			[]string{APIIRI, APIIOTAJSONRPC}))
		api = APIIRI
	}
	decodeCommon(d, &s, &dec)
	if api == APIIOTAJSONRPC {
		decodeJSONRPC(d, &s)
		refuseOtherAPI(d, iriAttributes, api)
	} else {
		decodeIRI(d, &s, &dec)
		refuseOtherAPI(d, jsonRPCAttributes, api)
	}
	return s, dec, d.Diags
}

// refuseOtherAPI: an attribute of the other API's gateway is an error, not
// silently ignored.
func refuseOtherAPI(d *hclattr.Decoder, attrs []string, api string) {
	for _, name := range attrs {
		if module.HasAttr(d.Block.Body, name) {
			d.Error(d.Range(name), "Attribute of another API", fmt.Sprintf("%s: this attribute applies to another API; "+
				"this block fronts %s (api = %q). Remove it or change api.", name, apiName(api), api))
		}
	}
}

func apiName(api string) string {
	if api == APIIOTAJSONRPC {
		return "iota-node's JSON-RPC"
	}
	return "IRI's command API"
}

// decodeCommon reads the attributes both gateways share.
func decodeCommon(d *hclattr.Decoder, s *Settings, dec *decoded) {
	if elems, p := d.StringList("addresses"); p == hclattr.Set {
		s.Addresses = nil
		for _, e := range elems {
			if _, err := netaddr.IP(e.Value); err != nil {
				d.Error(e.Range, "Invalid value for addresses", fmt.Sprintf("addresses: %q is not an IP address%s.", e.Value, zoneNote(err)))
				continue
			}
			s.Addresses = append(s.Addresses, e.Value)
		}
		if len(elems) == 0 {
			d.Error(d.Range("addresses"), "Invalid value for addresses", "addresses: at least one address is needed.")
		}
	}
	s.Port = port(d, "port", s.Port)
	if node, p := d.String("node", s.Node); p == hclattr.Set {
		dec.nodeSet = true
		if err := firstError(oneline.Check(node), netaddr.HostPort(node)); err != nil {
			d.Error(d.Range("node"), "Invalid value for node", fmt.Sprintf("node: %q %v; expected an IP address or "+
				"host name and a port, such as %q or \"[::1]%s\".", node, err, s.Node, s.Node[strings.LastIndex(s.Node, ":"):]))
		} else {
			s.Node = node
		}
	}
	s.MaxBodyBytes = positive(d, "max_body_bytes", s.MaxBodyBytes, 1<<20)
	s.MaxConnPerIP = nonNegative(d, "max_conn_per_ip", s.MaxConnPerIP)
	s.MaxRequestsPerIP = nonNegative(d, "max_requests_per_ip", s.MaxRequestsPerIP)
	s.RatePeriod = duration(d, "rate_period", s.RatePeriod)
	if elems, p := d.StringList("trusted_addresses"); p == hclattr.Set {
		s.TrustedAddresses = nil
		for _, e := range elems {
			if err := netaddr.IPOrPrefix(e.Value); err != nil {
				d.Error(e.Range, "Invalid value for trusted_addresses",
					fmt.Sprintf("trusted_addresses: %q is neither an IP address nor a CIDR prefix%s.", e.Value, zoneNote(err)))
				continue
			}
			s.TrustedAddresses = append(s.TrustedAddresses, e.Value)
		}
	}
	s.NodeMaxConn = positive(d, "node_maxconn", s.NodeMaxConn, 10000)
	s.NodeTimeout = duration(d, "node_timeout", s.NodeTimeout)
	s.NodeQueueTimeout = duration(d, "node_queue_timeout", s.NodeQueueTimeout)
	s.HeavyMaxConn = positive(d, "heavy_maxconn", s.HeavyMaxConn, 10000)
	s.HeavyMaxConnPerIP = nonNegative(d, "heavy_maxconn_per_ip", s.HeavyMaxConnPerIP)
	s.HeavyTimeout = duration(d, "heavy_timeout", s.HeavyTimeout)
	s.HeavyQueueTimeout = duration(d, "heavy_queue_timeout", s.HeavyQueueTimeout)
	s.ClientTimeout = duration(d, "client_timeout", s.ClientTimeout)
	s.HTTPRequestTimeout = duration(d, "http_request_timeout", s.HTTPRequestTimeout)
	s.KeepAliveTimeout = duration(d, "keepalive_timeout", s.KeepAliveTimeout)
	s.ConnectTimeout = duration(d, "connect_timeout", s.ConnectTimeout)
	s.MaxConn = positive(d, "maxconn", s.MaxConn, 1000000)
	if v, p := d.String("log", s.Log); p == hclattr.Set {
		if err := logTargetError(v); err != nil {
			d.Error(d.Range("log"), "Invalid value for log", fmt.Sprintf("log: %q %v; expected \"stdout\", \"stderr\", "+
				"a socket path such as \"/dev/log\", or address:port such as \"127.0.0.1:514\".", v, err))
		} else {
			s.Log = v
		}
	}
}

// decodeIRI reads the attributes of IRI's command gateway.
func decodeIRI(d *hclattr.Decoder, s *Settings, dec *decoded) {
	if elems, p := d.StringList("allowed_commands"); p == hclattr.Set {
		dec.allowedSet, dec.allowedRange = true, d.Range("allowed_commands")
		s.AllowedCommands = commands(d, "allowed_commands", elems)
		// Without an iri block to say otherwise, a command the profile allows
		// explicitly is no longer in the proxy's denied list.
		var limited []string
		for _, c := range s.LimitedCommands {
			if !contains(s.AllowedCommands, c) {
				limited = append(limited, c)
			}
		}
		s.LimitedCommands = limited
	}
	if elems, p := d.StringList("heavy_commands"); p == hclattr.Set {
		s.HeavyCommands = commands(d, "heavy_commands", elems)
		for _, e := range elems {
			if e.Value == powCommand {
				d.Error(e.Range, "Invalid value for heavy_commands",
					"heavy_commands: attachToTangle has its own backend (pow_maxconn); leave it out here.")
			}
		}
	}
	s.StrictJSON = d.Bool("strict_json", s.StrictJSON)
	s.RequireAPIVersion = d.Bool("require_api_version", s.RequireAPIVersion)
	s.RequireJSONContentType = d.Bool("require_json_content_type", s.RequireJSONContentType)
	s.CORS = d.Bool("cors", s.CORS)
	s.PoWMaxConn = positive(d, "pow_maxconn", s.PoWMaxConn, 10000)
	s.PoWTimeout = duration(d, "pow_timeout", s.PoWTimeout)
	s.PoWQueueTimeout = duration(d, "pow_queue_timeout", s.PoWQueueTimeout)
}

func commands(d *hclattr.Decoder, name string, elems []hclattr.Elem) []string {
	out := []string{}
	for _, e := range elems {
		if !contains(knownCommands, e.Value) {
			d.Add(module.BadValue(e.Range, name, e.Value, "an IRI API command", knownCommands))
			continue
		}
		if !contains(out, e.Value) {
			out = append(out, e.Value)
		}
	}
	return out
}

func port(d *hclattr.Decoder, name string, def int) int {
	n, p := d.Int(name, def)
	if p == hclattr.Set && (n < 1 || n > 65535) {
		d.Error(d.Range(name), "Invalid value for "+name, fmt.Sprintf("%s: %d is not a TCP port (1-65535).", name, n))
		return def
	}
	return n
}

func positive(d *hclattr.Decoder, name string, def, max int) int {
	n, p := d.Int(name, def)
	if p == hclattr.Set && (n < 1 || n > max) {
		d.Error(d.Range(name), "Invalid value for "+name, fmt.Sprintf("%s: %d is out of range (1-%d).", name, n, max))
		return def
	}
	return n
}

func nonNegative(d *hclattr.Decoder, name string, def int) int {
	n, p := d.Int(name, def)
	if p == hclattr.Set && n < 0 {
		d.Error(d.Range(name), "Invalid value for "+name, fmt.Sprintf("%s: %d is negative; 0 turns the limit off.", name, n))
		return def
	}
	return n
}

func duration(d *hclattr.Decoder, name string, def time.Duration) time.Duration {
	v, p := d.String(name, "")
	if p != hclattr.Set {
		return def
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur < time.Millisecond {
		d.Error(d.Range(name), "Invalid value for "+name,
			fmt.Sprintf("%s: %q is not a duration of at least 1ms (such as \"10s\", \"500ms\", \"2m\").", name, v))
		return def
	}
	return dur
}

// socketPath is a log socket: an absolute path of plain characters.
var socketPath = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)

// logTargetError says why v is not a log target HAProxy takes on one line.
func logTargetError(v string) error {
	if err := oneline.Check(v); err != nil {
		return err
	}
	if v == "stdout" || v == "stderr" || socketPath.MatchString(v) && path.Clean(v) == v {
		return nil
	}
	// A bare address is IPv4 only: HAProxy reads "::1" as host ":" port "1".
	if a, err := netip.ParseAddr(v); err == nil && a.Is4() || netaddr.HostPort(v) == nil {
		return nil
	}
	return errors.New("is not a log target")
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// zoneNote adds why an address with a zone is refused.
func zoneNote(err error) string {
	if errors.Is(err, netaddr.ErrZone) {
		return " (" + err.Error() + ")"
	}
	return ""
}
