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
//	  container        = null                // "iota-node": the node runs in this Docker container
//	  unit             = "iota-node.service"
//	  restart          = false               // restart the unit after a change
//	}
//
// With a container, the addresses in fullnode.yaml are the container's own
// (every address, where Docker publishes from) and are left alone: what
// reaches the host is decided by the published ports, which the live
// listen table shows.
package iota

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"

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

// containerName is a Docker container name.
var containerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

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
	// Container is the Docker container the node runs in ("": a unit).
	Container string
	Unit      string
	Restart   bool
}

// Name is "iota".
func (m *Module) Name() string { return "iota" }

// JSONRPCAddress is where the node serves JSON-RPC once converged (the
// proxy's backend): the profile's value, or iota-node's port on loopback.
func (m *Module) JSONRPCAddress() string {
	a := m.cfg.Listeners[0].want
	if m.cfg.Container != "" {
		// The port the container publishes on the host's loopback.
		if ap, err := netip.ParseAddrPort(a); err == nil {
			return fmt.Sprintf("127.0.0.1:%d", ap.Port())
		}
		return "127.0.0.1:9000"
	}
	if a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "config", "json_rpc_address", "metrics_address", "grpc_address", "proxy_hops", "container", "unit", "restart")
	c := Config{}
	c.Container = d.Optional("container", "")
	if c.Container != "" && !containerName.MatchString(c.Container) {
		d.Add(module.BadValue(d.Range("container"), "container", c.Container, "a Docker container name such as \"iota-node\" (letters, digits, _ . -)", nil))
	}
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
		if c.Container != "" {
			// Inside its container the node listens on every address of the
			// container's own network, where Docker publishes from; the
			// host's exposure is the published ports'.
			l.want = d.Optional(l.attr, "")
		} else {
			l.want = d.Optional(l.attr, defaults[i])
		}
		if l.want == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(l.want)
		switch {
		case err != nil:
			d.Add(module.BadValue(d.Range(l.attr), l.attr, l.want,
				"an IP address and port such as \""+defaults[i]+"\" (iota-node takes no host names here)", nil))
		case c.Container != "" && ap.Addr().IsLoopback():
			d.Error(d.Range(l.attr), "Loopback inside a container", fmt.Sprintf("%s: %s is the container's own loopback, "+
				"which Docker cannot publish from; leave it on every address and publish the port on the host's loopback "+
				"(-p 127.0.0.1:%d:%d).", l.attr, l.want, ap.Port(), ap.Port()))
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
	unitDefault := "iota-node.service"
	if c.Container != "" {
		unitDefault = ""
		if module.HasAttr(block.Body, "unit") && d.Optional("unit", "") != "" {
			d.Error(d.Range("unit"), "Unit and container", fmt.Sprintf("unit: the node runs either under a systemd unit or "+
				"in a container, and container = %q; remove one of them.", c.Container))
		}
	}
	c.Unit, c.Restart = unitdropin.DecodeUnit(d, unitDefault)
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
