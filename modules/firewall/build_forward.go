package firewall

import "slices"

// build_forward.go: the chains that let container traffic through when
// the machine has container networking (Config.ForwardFrom). Pure.

// dstnatPriority is just before destination NAT (dstnat, -100), where
// Docker, Podman and libvirt translate a published port to a container,
// and after conntrack (-200): a rule there sees the port a client asked
// for, whatever it becomes.
const dstnatPriority = -110

// containerForward is the forward chain for container traffic. Denied
// sources are dropped first, as on input. Replies pass; so does what the
// containers send (egress, container to container); and so does a
// connection translated to a container (ct status dnat), which the
// prerouting chain let through only to a port the profile opens. All
// else meets the policy: drop.
func containerForward(cfg Config, denied []Rule) []Rule {
	rules := slices.Clone(denied)
	rules = append(rules, rule(CtState{Mask: 2 | 4}, accept)) // established,related
	for _, b := range cfg.ForwardFrom {
		rules = append(rules, rule(IfaceName{Name: b}, accept))
	}
	return append(rules, rule(CtStatus{Mask: ctStatusDNAT}, accept))
}

// ctStatusDNAT is IPS_DST_NAT: the connection's destination was
// translated.
const ctStatusDNAT = 0x20

// containerPrerouting drops, before any translation, a new TCP or UDP
// connection from outside to a port the profile does not open, so a
// port a container publishes obeys the same lists as the host's own:
// also one published by a container started later, since the rules name
// ports, not containers. Loopback and the containers' own bridges are
// not filtered here. "accept" in a chain of policy accept only lets the
// packet go on to the next hook (input, or forward after translation).
func containerPrerouting(cfg Config) Chain {
	pre := Chain{Name: "prerouting", Type: "filter", Hook: "prerouting", Priority: dstnatPriority, Policy: "accept"}
	pre.Rules = append(pre.Rules, rule(Iface{Name: "lo"}, accept))
	for _, b := range cfg.ForwardFrom {
		pre.Rules = append(pre.Rules, rule(IfaceName{Name: b}, accept))
	}
	tcp, udp := openPorts(cfg)
	if len(tcp) > 0 {
		pre.Rules = append(pre.Rules, rule(portMatch(protoTCP, tcp), accept))
	}
	if len(udp) > 0 {
		pre.Rules = append(pre.Rules, rule(portMatch(protoUDP, udp), accept))
	}
	return withNewDropped(pre)
}

// withNewDropped ends the prerouting chain: DHCPv6 replies pass (the
// input chain takes them), other new TCP and UDP connections are dropped.
func withNewDropped(pre Chain) Chain {
	pre.Rules = append(pre.Rules, rule(dhcpv6Reply...))
	for _, proto := range []uint8{protoTCP, protoUDP} {
		pre.Rules = append(pre.Rules, rule(CtState{Mask: 8}, L4Proto{Proto: proto}, Counter{}, drop))
	}
	return pre
}

// openPorts are the TCP and UDP ports the input chain opens to the world
// (SSH, gossip, the public API, the allow lists), sorted.
func openPorts(cfg Config) (tcp, udp []int) {
	tcp = append(slices.Clone(cfg.SSHPorts), cfg.AllowTCPPorts...)
	for _, p := range []int{cfg.GossipTCPPort, cfg.PublicAPIPort} {
		if p > 0 {
			tcp = append(tcp, p)
		}
	}
	udp = slices.Clone(cfg.AllowUDPPorts)
	if cfg.GossipUDPPort > 0 {
		udp = append(udp, cfg.GossipUDPPort)
	}
	slices.Sort(tcp)
	slices.Sort(udp)
	return slices.Compact(tcp), slices.Compact(udp)
}
