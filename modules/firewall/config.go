package firewall

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"harden/modules/module"
)

// NodeAPIPort is IRI's own API port. The firewall never opens it: the API
// is reached through HAProxy's public port, which enforces the policies.
const NodeAPIPort = 14265

// blockSchema is the `firewall { ... }` block. Every attribute is optional;
// `name = null` switches that feature off (the port is not opened, the
// limit not applied). The firewall owns its whole table, so there is no
// "leave unmanaged": what the profile does not open stays closed.
type blockSchema struct {
	Table                   *string `hcl:"table,optional"`
	SSHPorts                *[]int  `hcl:"ssh_ports,optional"`
	SSHRateLimit            *string `hcl:"ssh_rate_limit,optional"`
	SSHMaxConnections       *int    `hcl:"ssh_max_connections,optional"`
	GossipTCPPort           *int    `hcl:"gossip_tcp_port,optional"`
	GossipUDPPort           *int    `hcl:"gossip_udp_port,optional"`
	PublicAPIPort           *int    `hcl:"public_api_port,optional"`
	PublicAPIMaxConnections *int    `hcl:"public_api_max_connections,optional"`
	// Lists that may be long are evaluated element by element (lists.go).
	AllowTCPPorts        hcl.Expression `hcl:"allow_tcp_ports,optional"`
	AllowUDPPorts        hcl.Expression `hcl:"allow_udp_ports,optional"`
	OutputPolicy         *string        `hcl:"output_policy,optional"`
	AllowOperatorLockout *bool          `hcl:"allow_operator_lockout,optional"`
	DenySources          hcl.Expression `hcl:"deny_sources,optional"`
	DenySourcesFile      *string        `hcl:"deny_sources_file,optional"`
	SSHAllowSources      hcl.Expression `hcl:"ssh_allow_sources,optional"`
}

// Config is the desired firewall, after defaults. A zero port or count
// means "off".
type Config struct {
	Family, Name            string
	SSHPorts                []int
	SSHRate                 *Limit // per source, new connections; nil: none
	SSHMaxConnections       int    // per source, concurrent
	GossipTCPPort           int
	GossipUDPPort           int
	PublicAPIPort           int
	PublicAPIMaxConnections int
	AllowTCPPorts           []int
	AllowUDPPorts           []int
	OutputDrop              bool
	AllowOperatorLockout    bool
	// DenySources are dropped before anything else; SSHAllowSources, when
	// not empty, are the only sources new SSH connections are accepted
	// from. Both sorted and merged (mergePrefixes).
	DenySources     []netip.Prefix
	SSHAllowSources []netip.Prefix
	// DenySourcesFile is an absolute path on the machine whose entries
	// join DenySources when Read has read it; "" for none.
	DenySourcesFile string
	// ForwardFrom are the bridges (nft patterns: "docker0", "br-*") of the
	// container runtimes Read found, not a profile setting. Their
	// forwarded traffic passes, and so do connections to the ports their
	// containers publish where the profile opens the port. Empty: the
	// forward chain drops everything.
	ForwardFrom []string
}

// Defaults: SSH on 22 with 6 new connections a minute and 8 at once per
// source, IRI 1.8 gossip on TCP 15600, HAProxy's public API on 14267.
func defaultConfig() Config {
	return Config{
		Family: "inet", Name: "harden",
		SSHPorts:          []int{22},
		SSHRate:           &Limit{Rate: 6, Unit: time.Minute, Burst: 6, Over: true},
		SSHMaxConnections: 8,
		GossipTCPPort:     15600,
		PublicAPIPort:     14267,
	}
}

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,30}$`)

func decodeConfig(body hcl.Body, ctx *hcl.EvalContext) (Config, hcl.Diagnostics) {
	var raw blockSchema
	diags := gohcl.DecodeBody(body, ctx, &raw)
	cfg := defaultConfig()
	if diags.HasErrors() {
		return cfg, diags
	}
	set := func(name string) bool { return module.HasAttr(body, name) }
	port := func(name string, p *int, dst *int) {
		if !set(name) {
			return
		}
		*dst = 0
		if p != nil {
			diags = append(diags, checkPort(body, name, *p)...)
			*dst = *p
		}
	}
	ports := func(name string, p *[]int, dst *[]int) {
		if !set(name) {
			return
		}
		*dst = nil
		if p != nil {
			for _, v := range *p {
				diags = append(diags, checkPort(body, name, v)...)
			}
			*dst = *p
		}
	}
	count := func(name string, p *int, dst *int) {
		if !set(name) {
			return
		}
		*dst = 0
		if p != nil {
			if *p < 1 || *p > 65535 {
				diags = append(diags, module.BadValue(module.AttrRange(body, name), name,
					strconv.Itoa(*p), "a connection count from 1 to 65535, or null for no cap", nil))
			}
			*dst = *p
		}
	}

	if raw.Table != nil {
		fam, name, _ := strings.Cut(*raw.Table, " ")
		switch {
		case fam != "inet":
			diags = append(diags, module.BadValue(module.AttrRange(body, "table"), "table", *raw.Table,
				`an inet table ("inet NAME"): one table filters IPv4 and IPv6`, []string{"inet " + name}))
		case !tableName.MatchString(name):
			diags = append(diags, module.BadValue(module.AttrRange(body, "table"), "table", *raw.Table,
				"inet followed by a name of letters, digits, _ and -", nil))
		default:
			cfg.Family, cfg.Name = fam, name
		}
	}
	ports("ssh_ports", raw.SSHPorts, &cfg.SSHPorts)
	if set("ssh_rate_limit") {
		cfg.SSHRate = nil
		if raw.SSHRateLimit != nil {
			l, err := parseRate(*raw.SSHRateLimit)
			if err != nil {
				diags = append(diags, module.BadValue(module.AttrRange(body, "ssh_rate_limit"), "ssh_rate_limit",
					*raw.SSHRateLimit, `"N/second", "N/minute", "N/hour" or "N/day" with N from 1 to 10000`, nil))
			}
			cfg.SSHRate = l
		}
	}
	count("ssh_max_connections", raw.SSHMaxConnections, &cfg.SSHMaxConnections)
	port("gossip_tcp_port", raw.GossipTCPPort, &cfg.GossipTCPPort)
	port("gossip_udp_port", raw.GossipUDPPort, &cfg.GossipUDPPort)
	port("public_api_port", raw.PublicAPIPort, &cfg.PublicAPIPort)
	count("public_api_max_connections", raw.PublicAPIMaxConnections, &cfg.PublicAPIMaxConnections)
	cfg.AllowTCPPorts = decodePorts(body, ctx, "allow_tcp_ports", raw.AllowTCPPorts, &diags)
	cfg.AllowUDPPorts = decodePorts(body, ctx, "allow_udp_ports", raw.AllowUDPPorts, &diags)
	if raw.OutputPolicy != nil {
		switch *raw.OutputPolicy {
		case "accept":
		case "drop":
			cfg.OutputDrop = true
		default:
			diags = append(diags, module.BadValue(module.AttrRange(body, "output_policy"), "output_policy",
				*raw.OutputPolicy, `"accept" or "drop"`, []string{"accept", "drop"}))
		}
	}
	if raw.AllowOperatorLockout != nil {
		cfg.AllowOperatorLockout = *raw.AllowOperatorLockout
	}
	cfg.DenySources = decodeSources(body, ctx, "deny_sources", raw.DenySources, &diags)
	cfg.SSHAllowSources = decodeSources(body, ctx, "ssh_allow_sources", raw.SSHAllowSources, &diags)
	if p := raw.DenySourcesFile; p != nil {
		if !filepath.IsAbs(*p) {
			diags = append(diags, module.BadValue(module.AttrRange(body, "deny_sources_file"), "deny_sources_file",
				*p, `an absolute path on the machine such as "/etc/harden/deny-sources.list", or null`, nil))
		} else {
			cfg.DenySourcesFile = filepath.Clean(*p)
		}
	}
	return cfg, diags
}

func checkPort(body hcl.Body, name string, p int) hcl.Diagnostics {
	rng := module.AttrRange(body, name)
	if p < 1 || p > 65535 {
		return hcl.Diagnostics{module.BadValue(rng, name, strconv.Itoa(p), "a port from 1 to 65535", nil)}
	}
	if p == NodeAPIPort {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "The node API port is never opened",
			Detail: fmt.Sprintf("%s: %d is IRI's own API port; the firewall keeps it closed so the API is "+
				"reached only through HAProxy (public_api_port, default 14267).", name, p),
			Subject: rng.Ptr(),
		}}
	}
	return nil
}

// parseRate reads "N/unit" into an over-limit with burst N: a source may
// open N connections at once, then one per unit/N.
func parseRate(s string) (*Limit, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	rate, err := strconv.Atoi(n)
	if !ok || err != nil || rate < 1 || rate > 10000 {
		return nil, fmt.Errorf("bad rate %q", s)
	}
	for _, u := range limitUnits {
		if u.name == unit {
			return &Limit{Rate: uint64(rate), Unit: u.d, Burst: uint32(rate), Over: true}, nil
		}
	}
	return nil, fmt.Errorf("bad rate unit %q", unit)
}
