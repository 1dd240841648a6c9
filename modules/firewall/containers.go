package firewall

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"

	"harden/modules/host"
)

// containers.go: finding container networking on the machine. A
// container runtime puts its containers (or VMs) on bridges of this host
// and sends their traffic through the forward path, where harden's
// forward chain (policy drop) would drop it: in nftables an accept in
// another table is not final, a drop in any base chain is.

// containerRuntime is software whose bridged guests reach the world
// through this host.
type containerRuntime struct {
	name    string
	bridges []string // its bridges' names, as nft patterns ("br-*")
	units   []string // unit files that show it is installed
	tables  []string // nftables tables of its own
	chains  []string // chains it adds to iptables-nft's tables
}

var containerRuntimes = []containerRuntime{
	{name: "Docker", bridges: []string{"docker0", "br-*"}, units: []string{"docker.service"},
		tables: []string{"ip docker-bridges", "ip6 docker-bridges"}, chains: []string{"DOCKER", "DOCKER-USER"}},
	{name: "Podman", bridges: []string{"podman*", "cni-podman*"}, units: []string{"podman.service"},
		tables: []string{"inet netavark"}, chains: []string{"NETAVARK_FORWARD", "CNI-FORWARD"}},
	{name: "libvirt", bridges: []string{"virbr*"}, units: []string{"libvirtd.service", "virtnetworkd.service"},
		tables: []string{"ip libvirt_network", "ip6 libvirt_network"}, chains: []string{"LIBVIRT_FWI", "LIBVIRT_FWO"}},
	{name: "LXD", bridges: []string{"lxdbr*"}, units: []string{"snap.lxd.daemon.service", "lxd.service"},
		tables: []string{"inet lxd"}},
	{name: "Incus", bridges: []string{"incusbr*"}, units: []string{"incus.service"}, tables: []string{"inet incus"}},
}

// Containers is a container runtime found on the machine, and how.
type Containers struct {
	Name     string
	Bridges  []string // the interface patterns its traffic comes from
	Evidence []string // "bridge docker0", "chain DOCKER in table ip filter", "unit docker.service"
}

// netState is what the kernel shows of container networking: link names,
// tables ("family name") and chains ("family table chain").
type netState struct {
	links, tables, chains []string
}

// findContainers reports each runtime that shows on the machine: its
// bridges, tables or chains in the kernel, or its unit files (installed
// but not running yet; under -root the unit files alone).
func findContainers(h *host.Host, ns netState) []Containers {
	var found []Containers
	for _, rt := range containerRuntimes {
		var ev []string
		for _, l := range ns.links {
			if slices.ContainsFunc(rt.bridges, func(p string) bool { return ifaceMatches(p, l) }) {
				ev = append(ev, "bridge "+l)
			}
		}
		for _, t := range ns.tables {
			if slices.Contains(rt.tables, t) {
				ev = append(ev, "table "+t)
			}
		}
		for _, c := range ns.chains {
			f := strings.Fields(c)
			if len(f) == 3 && slices.Contains(rt.chains, f[2]) {
				ev = append(ev, fmt.Sprintf("chain %s in table %s %s", f[2], f[0], f[1]))
			}
		}
		for _, u := range rt.units {
			if h.UnitFile(u) != "" {
				ev = append(ev, "unit "+u)
			}
		}
		if len(ev) > 0 {
			found = append(found, Containers{Name: rt.name, Bridges: rt.bridges, Evidence: ev})
		}
	}
	return found
}

// ifaceMatches reports whether an interface name matches an nft pattern
// (a trailing * matches any rest).
func ifaceMatches(pattern, name string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return pattern == name
}

// forwardFrom is every bridge pattern of the runtimes found.
func forwardFrom(found []Containers) []string {
	var out []string
	for _, c := range found {
		out = append(out, c.Bridges...)
	}
	return out
}

// containersNote says what was found and what the table does about it.
func containersNote(found []Containers, cfg Config) string {
	var what []string
	for _, c := range found {
		what = append(what, fmt.Sprintf("%s (%s)", c.Name, strings.Join(c.Evidence, ", ")))
	}
	tcp, udp := openPorts(cfg)
	ports := "tcp " + joinPorts(tcp)
	if len(udp) > 0 {
		ports += ", udp " + joinPorts(udp)
	}
	return fmt.Sprintf("container networking found: %s. Forwarded traffic from their bridges (%s) passes; "+
		"a connection from outside to a port a container publishes passes only where the profile opens "+
		"that port (%s): the prerouting chain drops the others before they are translated to a container",
		strings.Join(what, "; "), strings.Join(forwardFrom(found), ", "), ports)
}

func joinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

// linkNames lists the network interfaces of the namespace open as netns
// (0: the caller's own).
func linkNames(netns int) ([]string, error) {
	c, err := rtnetlink.Dial(&netlink.Config{NetNS: netns})
	if err != nil {
		return nil, fmt.Errorf("rtnetlink: %w", err)
	}
	defer c.Close()
	links, err := c.Link.List()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := make([]string, 0, len(links))
	for _, l := range links {
		if l.Attributes != nil {
			names = append(names, l.Attributes.Name)
		}
	}
	return names, nil
}
