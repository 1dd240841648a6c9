package firewall

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sys/unix"

	"harden/modules/host"
	"harden/modules/module"
)

// Factory registers the firewall block.
var Factory = module.Factory{
	Block: "firewall",
	Doc:   "nftables table over netlink: SSH (rate limited), gossip and the public API open, all else dropped; persisted",
	New:   func() module.Module { return New() },
}

// Module is the firewall module.
type Module struct {
	cfg   Config
	body  hcl.Body
	block hcl.Range
	// conn opens the netlink connection every kernel read and write goes
	// through, in the current network namespace by default. Tests point it
	// at a namespace of their own (SetConn). Writes pass options (a larger
	// send buffer) for the connection.
	conn func(opts ...nftables.ConnOption) (*nftables.Conn, error)
	// check validates the file to persist (`nft -c`); tests replace it.
	check func(ctx context.Context, h *host.Host, ruleset []byte) error
	// persistPath and confPath are the files nftables.service loads; tests
	// on an online host move them under a temp dir.
	persistPath, confPath string
	// links lists the network interfaces of the namespace the table
	// filters (linkNames).
	links func() ([]string, error)
	// netns names the network namespace the table filters, as
	// /proc/PID/ns/net reads: the sshd whose ports the firewall keeps
	// runs there.
	netns func() (string, error)
	// sshdMoves: the sshd block manages sshd's ports and takes part in
	// this run, so sshd itself moves off a port the firewall closes.
	sshdMoves bool
}

// New returns a module with the default config.
func New() *Module {
	return &Module{cfg: defaultConfig(), conn: nftables.New,
		check: checkRuleset, persistPath: persistPath, confPath: confPath, netns: ownNetns,
		links: func() ([]string, error) { return linkNames(0) }}
}

// InNetns makes the module work in the network namespace open as fd (for
// tests and containers): its table, the tables beside it, and the sshd
// whose ports it keeps open.
func (m *Module) InNetns(fd int) {
	m.conn = func(opts ...nftables.ConnOption) (*nftables.Conn, error) {
		return nftables.New(append(opts, nftables.WithNetNSFd(fd))...)
	}
	m.netns = func() (string, error) {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return "", fmt.Errorf("network namespace: %w", err)
		}
		return fmt.Sprintf("net:[%d]", st.Ino), nil
	}
	m.links = func() ([]string, error) { return linkNames(fd) }
}

// ownNetns is the network namespace harden runs in.
func ownNetns() (string, error) { return os.Readlink("/proc/self/ns/net") }

// Name is the address prefix.
func (m *Module) Name() string { return "firewall" }

// Config is the decoded, linked config.
func (m *Module) Config() Config { return m.cfg }

// Desired is the table the profile asks for, without deny_sources_file's
// entries (Read reads them; Plan joins them).
func (m *Module) Desired() *Table { return Build(m.cfg) }

// desired is the table the profile asks for, as the machine makes it
// (desiredConfig).
func (m *Module) desired(st *State) (*Table, error) {
	cfg, err := m.desiredConfig(st)
	if err != nil {
		return nil, err
	}
	return Build(cfg), nil
}

// desiredConfig is the profile's config with what Read found: the
// entries of deny_sources_file, the ports sshd listens on that it does
// not leave in this run, and the bridges of container runtimes.
func (m *Module) desiredConfig(st *State) (Config, error) {
	cfg := m.cfg
	if cfg.DenySourcesFile != "" {
		if st.DenyFile == nil || st.DenyFile.Path != cfg.DenySourcesFile {
			return cfg, fmt.Errorf("firewall: plan: %s was not read", cfg.DenySourcesFile)
		}
		cfg = withDenyFile(cfg, st.DenyFile)
	}
	cfg.SSHPorts = append(slices.Clip(cfg.SSHPorts), m.heldForSSHD(st.SSHDPorts)...)
	cfg.ForwardFrom = forwardFrom(st.Containers)
	return cfg, nil
}

// Decode reads the firewall block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	m.body, m.block = block.Body, block.DefRange
	cfg, diags := decodeConfig(block.Body, ctx)
	m.cfg = cfg
	return diags
}

// sshPorter is what the sshd module exports: the ports sshd listens on
// (during a port move, the old and the new one).
type sshPorter interface{ Ports() []int }

// publicPorter is what the haproxy module exports: the public API port.
type publicPorter interface{ PublicPort() int }

// Link takes the SSH ports from the sshd block and the public API port from
// the haproxy block when they are managed, so the firewall and the daemons
// can never disagree, then checks that no port is opened twice.
func (m *Module) Link(peers module.Peers) hcl.Diagnostics {
	var diags hcl.Diagnostics
	explicit := func(name string) bool { return m.body != nil && module.HasAttr(m.body, name) }
	// Point at the attribute when the profile sets it, else at the block
	// (the value came from a default or a peer).
	rng := func(name string) *hcl.Range {
		if !explicit(name) {
			return m.block.Ptr()
		}
		return module.AttrRange(m.body, name).Ptr()
	}
	if peer, ok := peers.Lookup("sshd"); ok {
		sp, ok := peer.(sshPorter)
		if !ok {
			return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "sshd module has no Ports()",
				Detail: "firewall: the sshd module does not tell its ports; this is a bug in harden.", Subject: m.block.Ptr()})
		}
		// An sshd block that leaves the port unmanaged tells none: the
		// firewall's own ssh_ports (default 22) stand.
		if ports := sp.Ports(); len(ports) > 0 {
			if explicit("ssh_ports") && !slices.Equal(ports, m.cfg.SSHPorts) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "ssh_ports conflicts with the sshd block",
					Detail: fmt.Sprintf("ssh_ports: the sshd block is managed and listens on %v; remove ssh_ports "+
						"from the firewall block: it follows sshd's ports.", ports), Subject: rng("ssh_ports")})
			}
			m.cfg.SSHPorts = ports
			m.sshdMoves = true
		}
	}
	if peer, ok := peers.Lookup("haproxy"); ok {
		if pp, ok := peer.(publicPorter); ok {
			port := pp.PublicPort()
			if explicit("public_api_port") && m.cfg.PublicAPIPort != port {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "public_api_port conflicts with the haproxy block",
					Detail: fmt.Sprintf("public_api_port: HAProxy is managed and serves the API on %d; remove "+
						"public_api_port from the firewall block: it follows HAProxy.", port), Subject: rng("public_api_port")})
			}
			m.cfg.PublicAPIPort = port
		}
	}
	seen := map[string]string{}
	open := func(proto string, port int, by string) {
		if port <= 0 {
			return
		}
		key := proto + "/" + strconv.Itoa(port)
		if port == NodeAPIPort {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "The node API port is never opened",
				Detail: fmt.Sprintf("%s: %d is IRI's own API port; it stays closed.", by, port), Subject: rng(by)})
		}
		if other, dup := seen[key]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Port opened twice",
				Detail: fmt.Sprintf("%s: %s %d is already opened by %s.", by, proto, port, other), Subject: rng(by)})
		}
		seen[key] = by
	}
	for _, p := range m.cfg.SSHPorts {
		open("tcp", p, "ssh_ports")
	}
	open("tcp", m.cfg.GossipTCPPort, "gossip_tcp_port")
	open("udp", m.cfg.GossipUDPPort, "gossip_udp_port")
	open("tcp", m.cfg.PublicAPIPort, "public_api_port")
	for _, p := range m.cfg.AllowTCPPorts {
		open("tcp", p, "allow_tcp_ports")
	}
	for _, p := range m.cfg.AllowUDPPorts {
		open("udp", p, "allow_udp_ports")
	}
	return diags
}

// State is what Read found.
type State struct {
	Offline bool
	Root    string // the root directory the system lives under
	// Live is the table in the kernel; nil when absent (or offline).
	Live *Table
	// Foreign names the other tables ("family name"), never touched.
	Foreign []string
	// Persisted files and whether nftables.service starts at boot.
	File, Conf             []byte
	FileExists, ConfExists bool
	// ConfTables are the tables nftables.conf defines (itself or through
	// its includes, harden's file aside); ConfFlushing the included files
	// that flush the whole ruleset.
	ConfTables, ConfFlushing []string
	Enabled                  bool
	// SSHSource and SSHPort are the client address and the server port of
	// the operator's SSH session (SSH_CONNECTION); SSHPort is 0 when
	// harden does not run over SSH.
	SSHSource netip.Addr
	SSHPort   int
	// DenyFile is deny_sources_file as read; nil when the profile names none.
	DenyFile *SourceFile
	// Unit is nftables.service's unit file ("" when there is none); NoNft:
	// the live machine has no nft to check the file to persist with.
	Unit  string
	NoNft bool
	// Containers are the container runtimes found (their bridges,
	// tables, chains or unit files).
	Containers []Containers
	// SSHDPorts are the TCP ports sshd listens on now (its own sockets in
	// the kernel's listen table, and ssh.socket's under socket
	// activation); nil offline.
	SSHDPorts []int
	// Audit holds what only the audit needs: every table, the packages.
	Audit auditFacts
}

// Read gathers the live table over netlink (in the current network
// namespace), the persisted files, nftables.service's enablement and
// deny_sources_file's entries (a bad or missing file is an error here, so
// plan and apply stop before changing anything).
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	st := &State{Offline: h.Offline(), Root: h.Root()}
	st.SSHSource, st.SSHPort = sshSession(h.Getenv("SSH_CONNECTION"))
	var err error
	if path := m.cfg.DenySourcesFile; path != "" {
		if st.DenyFile, err = readSourceFile(h, "deny_sources_file", path); err != nil {
			return nil, err
		}
	}
	if st.File, err = h.ReadFile(m.persistPath); err == nil {
		st.FileExists = true
	}
	if st.Conf, err = h.ReadFile(m.confPath); err == nil {
		st.ConfExists = true
		if st.ConfTables, st.ConfFlushing, err = confTables(h, st.Conf, m.persistPath); err != nil {
			return nil, fmt.Errorf("firewall: %s: %w", m.confPath, err)
		}
	}
	if st.Enabled, err = h.Systemd().IsEnabled(ctx, serviceName); err != nil {
		return nil, fmt.Errorf("firewall: is %s enabled: %w", serviceName, err)
	}
	st.Unit = h.UnitFile(serviceName)
	if st.Offline {
		st.Containers = findContainers(h, netState{})
		if st.Audit, err = readAuditFacts(ctx, h, nil, nil); err != nil {
			return nil, fmt.Errorf("firewall: %w", err)
		}
		return st, nil
	}
	if _, err := exec.LookPath("nft"); err != nil {
		st.NoNft = true
	}
	netns, err := m.netns()
	if err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	if st.SSHDPorts, err = liveSSHDPorts(ctx, h, netns); err != nil {
		return nil, err
	}
	c, err := m.conn()
	if err != nil {
		return nil, fmt.Errorf("firewall: netlink: %w", err)
	}
	if st.Live, err = readTable(c, m.cfg.Family, m.cfg.Name); err != nil {
		return nil, fmt.Errorf("firewall: read %s %s: %w", m.cfg.Family, m.cfg.Name, err)
	}
	var ns netState
	if ns.tables, ns.chains, err = listTablesAndChains(c); err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	for _, t := range ns.tables {
		if t != m.cfg.Family+" "+m.cfg.Name {
			st.Foreign = append(st.Foreign, t)
		}
	}
	if ns.links, err = m.links(); err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	st.Containers = findContainers(h, ns)
	if st.Audit, err = readAuditFacts(ctx, h, c, ns.tables); err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	return st, nil
}

// sshSession reads the client address and the server port from
// "client_ip client_port server_ip server_port"; port 0 if it cannot.
func sshSession(conn string) (netip.Addr, int) {
	f := strings.Fields(conn)
	if len(f) != 4 {
		return netip.Addr{}, 0
	}
	src, err := netip.ParseAddr(f[0])
	p, err2 := strconv.Atoi(f[3])
	if err != nil || err2 != nil || p < 1 || p > 65535 {
		return netip.Addr{}, 0
	}
	// A v4 client of a dual-stack sshd shows as ::ffff:a.b.c.d; its
	// packets are IPv4 to the firewall.
	return src.Unmap().WithZone(""), p
}
