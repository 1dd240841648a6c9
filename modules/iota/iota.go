// Package iota converges the addresses and proxy trust in iota-node's own
// configuration (IOTA Rebased, /opt/iota/config/fullnode.yaml): JSON-RPC,
// metrics and gRPC bound to loopback, and, behind a proxy, the traffic
// controller told to read the client from X-Forwarded-For. Values are
// edited in place: every other line, comment and quoting of the file stays
// byte for byte. Before planning it reads the live listen table, so a node
// still running on an old configuration is named in the plan.
//
// Profile block (every attribute optional):
//
//	iota {
//	  config           = "/opt/iota/config/fullnode.yaml"
//	  json_rpc_address = "127.0.0.1:9000"    // null: unmanaged
//	  metrics_address  = "127.0.0.1:9184"    // null: unmanaged
//	  grpc_address     = "127.0.0.1:50051"   // grpc-api-config.address, when the gRPC API is on; null: unmanaged
//	  proxy_hops       = 1                   // policy-config.client-id-source: x-forwarded-for;
//	                                         // default 1 when a haproxy block fronts the node, else unmanaged
//	  unit             = "iota-node.service"
//	  restart          = false               // restart the unit after a change
//	}
package iota

import (
	"fmt"
	"net/netip"
	"path"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Factory registers the `iota { ... }` block.
var Factory = module.Factory{
	Block: "iota",
	Doc:   "iota-node's fullnode.yaml: JSON-RPC, metrics and gRPC on loopback, X-Forwarded-For trusted for one proxy hop; every other line kept byte for byte.",
	New:   func() module.Module { return &Module{} },
}

// DefaultConfig is where the node's systemd unit and Docker image read it.
const DefaultConfig = "/opt/iota/config/fullnode.yaml"

// maxHops bounds proxy_hops: more proxies than this in front of one node
// is a mistake, not a layout.
const maxHops = 8

// listener is one address setting of the node.
type listener struct {
	attr string   // profile attribute
	keys []string // YAML key path
	what string   // for messages
	// def is iota-node's value when the key is absent.
	def  string
	want string // "": unmanaged
}

// Module is the `iota` block.
type Module struct {
	cfg     Config
	proxied bool // a haproxy block fronts the JSON-RPC API
}

// Config is the decoded block.
type Config struct {
	Path      string
	Listeners []listener // JSON-RPC, metrics, gRPC
	// ProxyHops is the x-forwarded-for hop count (0: unmanaged).
	ProxyHops int
	hopsSet   hclattr.Presence
	Unit      string
	Restart   bool
}

// Name is "iota".
func (m *Module) Name() string { return "iota" }

// JSONRPCAddress is where the node serves JSON-RPC once converged (the
// proxy's backend): the profile's value, or iota-node's port on loopback.
func (m *Module) JSONRPCAddress() string {
	if a := m.cfg.Listeners[0].want; a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "config", "json_rpc_address", "metrics_address", "grpc_address", "proxy_hops", "unit", "restart")
	c := Config{}
	c.Path, _ = d.String("config", DefaultConfig)
	if !path.IsAbs(c.Path) || path.Clean(c.Path) != c.Path {
		d.Add(module.BadValue(d.Range("config"), "config", c.Path, "an absolute, clean path such as \""+DefaultConfig+"\"", nil))
	}
	c.Listeners = []listener{
		{attr: "json_rpc_address", keys: []string{"json-rpc-address"}, what: "JSON-RPC", def: "0.0.0.0:9000"},
		{attr: "metrics_address", keys: []string{"metrics-address"}, what: "metrics", def: "0.0.0.0:9184"},
		{attr: "grpc_address", keys: []string{"grpc-api-config", "address"}, what: "gRPC", def: "0.0.0.0:50051"},
	}
	defaults := []string{"127.0.0.1:9000", "127.0.0.1:9184", "127.0.0.1:50051"}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		l.want = d.Optional(l.attr, defaults[i])
		if l.want == "" {
			continue
		}
		if _, err := netip.ParseAddrPort(l.want); err != nil {
			d.Add(module.BadValue(d.Range(l.attr), l.attr, l.want,
				"an IP address and port such as \""+defaults[i]+"\" (iota-node takes no host names here)", nil))
		}
	}
	var hops int
	hops, c.hopsSet = d.Int("proxy_hops", 1)
	switch {
	case c.hopsSet == hclattr.Set && (hops < 1 || hops > maxHops):
		d.Add(module.BadValue(d.Range("proxy_hops"), "proxy_hops", fmt.Sprint(hops),
			fmt.Sprintf("the number of proxies in front of the node, from 1 to %d, or null to leave policy-config alone", maxHops), nil))
	case c.hopsSet == hclattr.Set:
		c.ProxyHops = hops
	}
	c.Unit, c.Restart = unitdropin.DecodeUnit(d, "iota-node.service")
	m.cfg = c
	return d.Diags
}

// Link learns whether a haproxy block fronts the JSON-RPC API: then the
// node trusts one proxy hop unless the profile says otherwise.
func (m *Module) Link(peers module.Peers) hcl.Diagnostics {
	if _, ok := peers.Lookup("haproxy"); ok {
		m.proxied = true
		if m.cfg.hopsSet == hclattr.Absent {
			m.cfg.ProxyHops = 1
		}
	}
	return nil
}
