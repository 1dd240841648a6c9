// Package iri converges the node's own configuration: the [IRI] section of
// its ini file. It manages REMOTE_LIMIT_API (the commands IRI refuses to
// remote callers), API_HOST, PORT and any other key the profile names, and
// preserves every other line and comment of the file byte for byte.
//
// Profile block (every attribute optional):
//
//	iri {
//	  path             = "/var/lib/iri/iri.ini"
//	  remote_limit_api = ["addNeighbors", "getNeighbors", "removeNeighbors",
//	                      "attachToTangle", "interruptAttachingToTangle"]
//	  api_host         = "127.0.0.1"     // default: 127.0.0.1 when a haproxy block fronts the API,
//	                                     // else unmanaged
//	  port             = 14265
//	  settings         = { NEIGHBORS = "tcp://..." }  // any other [IRI] key
//	  owner            = "iri"           // the file's owner (when the user exists or a user block makes it)
//	  unit             = "iri.service"
//	  restart          = false           // restart the unit after a change
//	}
//
// Set remote_limit_api, api_host, port or owner to null to leave them
// unmanaged; a key the profile does not name is never touched.
package iri

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/internal/hclattr"
	"harden/modules/internal/netaddr"
	"harden/modules/internal/oneline"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Factory registers the `iri { ... }` block.
var Factory = module.Factory{
	Block: "iri",
	Doc:   "The node's ini file: REMOTE_LIMIT_API, API_HOST, PORT and other [IRI] keys, every other line kept byte for byte.",
	New:   func() module.Module { return &Module{} },
}

// Commands is IRI's API command list (its ApiCommand enum).
var Commands = []string{
	"addNeighbors", "attachToTangle", "broadcastTransactions", "checkConsistency",
	"findTransactions", "getBalances", "getInclusionStates", "getNeighbors",
	"getNodeInfo", "getNodeAPIConfiguration", "getTips", "getMissingTransactions",
	"getTransactionsToApprove", "getTrytes", "interruptAttachingToTangle",
	"removeNeighbors", "storeTransactions", "wereAddressesSpentFrom",
}

// DefaultRemoteLimitAPI are the commands that change the node's neighbours
// or make it do proof of work: closed to remote callers by default.
var DefaultRemoteLimitAPI = []string{
	"addNeighbors", "getNeighbors", "removeNeighbors", "attachToTangle", "interruptAttachingToTangle",
}

// Keys the module manages through their own attributes.
const (
	keyRemoteLimitAPI = "REMOTE_LIMIT_API"
	keyAPIHost        = "API_HOST"
	keyPort           = "PORT"
	section           = "IRI"
	defaultPort       = 14265
)

var managedKeys = map[string]string{keyRemoteLimitAPI: "remote_limit_api", keyAPIHost: "api_host", keyPort: "port"}

// Module is the `iri` block.
type Module struct {
	cfg Config
	// set by Link
	proxied      bool    // a haproxy block fronts the API
	proxy        refuser // that block, if it says what it refuses
	ownerPlanned bool    // a user block creates the owner in this run
	ownerGroup   string  // that block's group
}

// Config is the decoded block.
type Config struct {
	Path           string
	RemoteLimitAPI []string // nil: unmanaged
	APIHost        string   // "": unmanaged
	apiHostSet     hclattr.Presence
	Port           int // 0: unmanaged
	Settings       map[string]string
	Owner          string // "": unmanaged
	Unit           string
	Restart        bool
}

// Name is "iri".
func (m *Module) Name() string { return "iri" }

// RemoteLimitAPI is the command list the node refuses to remote callers;
// the haproxy module denies the same list, since IRI trusts proxied calls
// from 127.0.0.1. Unmanaged (null), it is the default list: a proxy should
// still deny those.
func (m *Module) RemoteLimitAPI() []string {
	if m.cfg.RemoteLimitAPI == nil {
		return slices.Clone(DefaultRemoteLimitAPI)
	}
	return slices.Clone(m.cfg.RemoteLimitAPI)
}

// APIPort is the port the node's API listens on (IRI's default when
// unmanaged).
func (m *Module) APIPort() int {
	if m.cfg.Port == 0 {
		return defaultPort
	}
	return m.cfg.Port
}

// APIHost is the address the node's API listens on ("" when unmanaged).
func (m *Module) APIHost() string { return m.cfg.APIHost }

var settingKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Decode reads the block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := hclattr.New(block, ctx, "path", "remote_limit_api", "api_host", "port", "settings", "owner", "unit", "restart")
	c := Config{Settings: map[string]string{}}
	c.Path, _ = d.String("path", "/var/lib/iri/iri.ini")
	if !path.IsAbs(c.Path) || path.Clean(c.Path) != c.Path {
		d.Add(module.BadValue(d.Range("path"), "path", c.Path, "an absolute, clean path", nil))
	}
	c.RemoteLimitAPI = decodeCommands(d)
	c.APIHost, c.apiHostSet = d.String("api_host", "")
	if c.apiHostSet == hclattr.Set && netaddr.Host(c.APIHost) != nil {
		d.Add(module.BadValue(d.Range("api_host"), "api_host", c.APIHost, "an IP address or host name such as \"127.0.0.1\"", nil))
	}
	port, p := d.Int("port", defaultPort)
	if p != hclattr.Null {
		if port < 1 || port > 65535 {
			d.Add(module.BadValue(d.Range("port"), "port", strconv.Itoa(port), "a port from 1 to 65535", nil))
		} else {
			c.Port = port
		}
	}
	settings, _ := d.StringMap("settings")
	for _, e := range settings {
		switch attr, managed := managedKeys[e.Key]; {
		case managed:
			d.Error(e.Range, "Invalid key in settings", fmt.Sprintf("settings: %s is managed by the %s attribute; set it there.", e.Key, attr))
		case !settingKey.MatchString(e.Key):
			d.Error(e.Range, "Invalid key in settings", fmt.Sprintf("settings: %q is not an IRI setting name (upper case letters, digits and _, such as \"NEIGHBORS\").", e.Key))
		case valueError(e.Value) != nil:
			d.Error(e.Range, "Invalid value in settings", fmt.Sprintf("settings: the value of %s, %q, %v; expected one line "+
				"without leading or trailing spaces, such as \"true\" or \"tcp://node.example:15600\".", e.Key, e.Value, valueError(e.Value)))
		default:
			c.Settings[e.Key] = e.Value
		}
	}
	c.Owner = d.Optional("owner", "iri")
	c.Unit, c.Restart = unitdropin.DecodeUnit(d, "iri.service")
	m.cfg = c
	return d.Diags
}

// decodeCommands checks every command name against IRI's list, at the
// element's own position.
func decodeCommands(d *hclattr.Decoder) []string {
	elems, p := d.StringList("remote_limit_api")
	switch p {
	case hclattr.Absent:
		return slices.Clone(DefaultRemoteLimitAPI)
	case hclattr.Null:
		return nil
	}
	out := []string{} // empty but managed: every command open
	seen := map[string]bool{}
	for _, e := range elems {
		switch {
		case !slices.Contains(Commands, e.Value):
			d.Add(module.BadValue(e.Range, "remote_limit_api", e.Value, "an IRI API command", Commands))
		case seen[e.Value]:
			d.Error(e.Range, "Duplicate command", fmt.Sprintf("remote_limit_api: %s is listed twice.", e.Value))
		default:
			seen[e.Value] = true
			out = append(out, e.Value)
		}
	}
	return out
}

// valueError says why a settings value cannot be written as one ini line
// that IRI reads back as the same value.
func valueError(s string) error {
	if err := oneline.Check(s); err != nil {
		return err
	}
	if strings.TrimSpace(s) != s {
		return errors.New("has leading or trailing spaces")
	}
	return nil
}

// refuser is a proxy that says which API commands it refuses to everyone.
type refuser interface {
	Refuses(command string) bool
}

// Link learns from peers: a haproxy block means the API is proxied from
// loopback (API_HOST defaults to 127.0.0.1), and a user block for the
// owner means the owner will exist by the time this module applies.
func (m *Module) Link(peers module.Peers) hcl.Diagnostics {
	if p, ok := peers.Lookup("haproxy"); ok {
		m.proxied = true
		m.proxy, _ = p.(refuser)
		if m.cfg.apiHostSet == hclattr.Absent {
			m.cfg.APIHost = "127.0.0.1"
		}
	}
	if m.cfg.Owner != "" {
		if u, ok := peers.Lookup("user." + m.cfg.Owner); ok {
			m.ownerPlanned = true
			m.ownerGroup = m.cfg.Owner
			if g, ok := u.(interface{ GroupName() string }); ok {
				m.ownerGroup = g.GroupName()
			}
		}
	}
	return nil
}
