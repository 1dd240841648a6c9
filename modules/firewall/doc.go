// Package firewall converges the host's packet filter: one nftables table
// (inet harden by default) that harden owns whole, loaded over netlink in a
// single batch and persisted for nftables.service. Other tables (Docker's,
// the distribution's, an operator's) are listed in the plan and never
// touched.
//
// The profile block:
//
//	firewall {
//	  table                      = "inet harden"
//	  ssh_ports                  = [22]         # when the sshd block sets its ports, those are used
//	  ssh_rate_limit             = "6/minute"   # new SSH connections per source
//	  ssh_max_connections        = 8            # concurrent SSH connections per source
//	  gossip_tcp_port            = 15600        # IRI 1.8 neighbours
//	  gossip_udp_port            = null         # 14600 for older IRI
//	  public_api_port            = 14267        # HAProxy's; taken from the haproxy block when managed
//	  public_api_max_connections = null         # concurrent API connections per client
//	  allow_tcp_ports            = []
//	  allow_udp_ports            = []
//	  output_policy              = "accept"     # "drop": CIS-style, with DNS, NTP, DHCP, HTTP(S), gossip allowed
//	  deny_sources               = null         # ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]: dropped first
//	  deny_sources_file          = null         # "/etc/harden/deny-sources.list": more deny_sources, one a line
//	  ssh_allow_sources          = null         # if not empty: new SSH connections only from these
//	  allow_operator_lockout     = false        # true lets the ruleset shut out this SSH session
//	}
//
// `x = null` switches a feature off. The node's own API port (14265) is
// never opened. allow_tcp_ports and allow_udp_ports become one rule each,
// `tcp dport { 80, 443 } accept` (an anonymous set; at most 4000 ports).
//
// deny_sources and ssh_allow_sources take IPv4 and IPv6 addresses and
// CIDR prefixes (no host bits set). Each list becomes named interval sets,
// deny_v4/deny_v6 and ssh_allow_v4/ssh_allow_v6, one per family present;
// an entry inside another (or a duplicate) is merged into it. Packets from
// a denied source are dropped right after loopback is accepted, before
// established connections. With ssh_allow_sources, new connections to the
// SSH ports are accepted only from those sources (a family with no entry
// gets no SSH at all); null or [] accepts them from anyone. Deny wins over
// allow. The plan shows a set one element a line, sorted, so a changed list
// reads as a short diff; thousands of addresses still load in one batch.
//
// deny_sources_file names a file on the machine (an absolute path; under
// -root, the file under the root) holding more denied sources, as
// blocklist feeds ship them (FireHOL, Spamhaus DROP): one IPv4 or IPv6
// address or CIDR prefix a line, blank lines and comments after # or ;
// ignored ("1.10.16.0/20 ; SBL256894"). Its entries join deny_sources:
// the same merging, the same deny_v4/deny_v6 sets, the same lockout
// guard (which names the file's line). Read reads it, so a large list
// costs no HCL parsing; a bad entry is an error naming file:line, and a
// missing file is an error too (the profile names it, and a deny list
// that silently came out empty would let every source in), so plan and
// apply stop before changing anything. The file is the desired state:
// after editing it (a feed update), `harden plan` shows the added and
// removed entries as drift and `harden apply` loads them; harden does not
// watch the file. The plan notes how many of each set's entries came
// from the file.
//
// Per-client limits (ssh_rate_limit, ssh_max_connections,
// public_api_max_connections) count an IPv4 client by its address and an
// IPv6 client by its /64, in meters of 65535 clients. A full meter holds
// no new client; the clients it cannot hold share one budget of the same
// limit (one token bucket, one connection count), so filling the meter
// does not open the port.
//
// IPv6 keeps working: neighbour discovery, router advertisements and
// multicast listener queries are accepted, and so are DHCPv6 replies (UDP
// from fe80::/10 port 547 to port 546), as ufw and firewalld do.
//
// sshd's live ports stay open: Read finds the ports sshd listens on (its
// sockets in the kernel's listen table, in the table's network namespace,
// and ssh.socket's while active), and every one the SSH ports lack stays
// open, with a note, unless the sshd block takes part in the run and
// moves sshd off it itself (the two-phase move). So `-target firewall`,
// or a profile without an sshd block, never closes the port sshd is on.
//
// Containers: Read looks for container networking (Docker, Podman,
// libvirt, LXD, Incus: their bridges, nftables tables, iptables-nft
// chains or unit files) and the plan names what it found. Then the
// forward chain (still policy drop) lets through replies, what comes from
// the runtimes' bridges, and connections translated to a container (ct
// status dnat); a prerouting chain at priority dstnat - 10, before any
// DNAT, drops a new TCP or UDP connection from outside to a port the
// profile does not open, so a port a container publishes obeys the same
// lists as the host's, also for containers started later. Without
// container networking the forward chain has no rules at all.
//
// Plan reads the live table over netlink (in the current network namespace)
// back into the rule model and compares model to model; no difference means
// no netlink batch (a rebuild would reset counters and meters). The plan is
// refused when the ruleset would not accept a new connection from the
// operator's own SSH session (SSH_CONNECTION: its address and port),
// because the port is closed, the address is denied, or ssh_allow_sources
// leaves it out, unless allow_operator_lockout = true.
//
// Persistence: the table goes to /etc/nftables.d/harden.nft, rendered from
// the same model and checked with `nft -c`, and /etc/nftables.conf gets an
// include line (unless an include already covers the file). A file of our
// own leaves the distribution's and the operator's rules in nftables.conf
// alone; the file starts with `table ...; delete table ...` so loading it
// replaces harden's table whole and touches nothing else. A top-level
// `flush ruleset` in nftables.conf (Debian's stock file begins with one)
// is replaced by the removal of the tables the file itself defines, so a
// reload no longer wipes Docker's tables; the plan says so.
// nftables.service is enabled (Debian 12 ships it disabled); a machine
// without it (or, live, without nft) gets a refused plan naming the
// package to install, nftables.
package firewall
