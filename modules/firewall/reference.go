package firewall

import (
	"strconv"

	"harden/modules/module"
)

// Reference documents the firewall block; the defaults are defaultConfig's.
func (m *Module) Reference() module.Reference {
	d := defaultConfig()
	a := module.Attr
	n := strconv.Itoa
	return module.Reference{
		Summary: "One nftables table harden owns whole, loaded over netlink in one batch and persisted to " +
			"/etc/nftables.d/harden.nft for nftables.service (enabled). Inbound: loopback, established, ICMP and " +
			"IPv6 neighbour discovery, SSH (rate and connection limits per client), the node's gossip and the " +
			"public API; everything else dropped. Other tables are never touched. Null switches a feature off.",
		Control: "CIS Debian Linux 12 §4.3 (nftables)",
		Attributes: []module.AttributeDoc{
			a("table", "string", strconv.Quote(d.Family+" "+d.Name), "The table harden owns: family and name"),
			a("ssh_ports", "list(number)", "the sshd block's ports, else [22]", "Ports SSH is accepted on; sshd's live ports stay open too"),
			a("ssh_rate_limit", "string", `"6/minute"`, "New SSH connections per client (an IPv6 client counts by its /64)"),
			a("ssh_max_connections", "number", n(d.SSHMaxConnections), "Concurrent SSH connections per client"),
			a("gossip_tcp_port", "number", n(d.GossipTCPPort), "The node's TCP gossip port (IRI 1.8 neighbours)"),
			a("gossip_udp_port", "number", "none", "The node's UDP gossip port (14600 for older IRI)"),
			a("public_api_port", "number", n(d.PublicAPIPort)+" (the haproxy block's port)", "HAProxy's public API port; the node's own API port is never opened"),
			a("public_api_max_connections", "number", "none", "Concurrent API connections per client"),
			a("allow_tcp_ports", "list(number)", "[]", "More TCP ports to open (one set rule)"),
			a("allow_udp_ports", "list(number)", "[]", "More UDP ports to open"),
			a("output_policy", "string", `"accept"`, `"drop" allows only DNS, NTP, DHCP, HTTP(S) and gossip out`),
			a("deny_sources", "list(string)", "none", "IPv4 and IPv6 addresses and CIDR prefixes dropped before anything else"),
			a("deny_sources_file", "string", "none", "A file of more deny_sources, one a line (blocklist feeds); read by every plan"),
			a("ssh_allow_sources", "list(string)", "none", "If not empty: new SSH connections only from these"),
			a("allow_operator_lockout", "bool", "false", "Let the ruleset shut out the SSH session that runs harden"),
		},
	}
}
