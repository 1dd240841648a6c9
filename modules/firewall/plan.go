package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"harden/modules/module"
)

const (
	// persistPath holds harden's table for nftables.service. A file of its
	// own, included from /etc/nftables.conf, leaves the operator's and the
	// distribution's rules in that file alone.
	persistPath = "/etc/nftables.d/harden.nft"
	confPath    = "/etc/nftables.conf"
	serviceName = "nftables.service"
)

// Change payloads for Apply.
type (
	tableChange struct{ Desired, Live *Table }
	fileChange  struct {
		Path    string
		Content []byte
		Mode    uint32
	}
	serviceChange struct{}
)

// Plan compares the desired table with the live one (model to model) and
// the persisted files with what they should say. Pure.
func (m *Module) Plan(s module.State) (module.Plan, error) {
	st, ok := s.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("firewall: plan: unexpected state %T", s)
	}
	cfg, err := m.desiredConfig(st)
	if err != nil {
		return module.Plan{}, err
	}
	desired := Build(cfg)
	if err := prerequisites(st); err != nil {
		return module.Plan{}, err
	}
	if err := lockoutGuard(m.cfg, st.DenyFile, desired, st.SSHSource, st.SSHPort); err != nil {
		return module.Plan{}, err
	}
	var p module.Plan
	id := desired.ID()
	if st.Offline {
		p.Notes = append(p.Notes, fmt.Sprintf("offline root: planned from %s alone; the live ruleset is "+
			"neither read nor loaded (nftables.service loads the file at boot)", persistPath))
	} else {
		if len(st.Foreign) > 0 {
			p.Notes = append(p.Notes, "other nftables tables, left alone: "+strings.Join(st.Foreign, ", "))
		}
		if !desired.Equal(st.Live) {
			c := module.Change{Module: "firewall", Address: "firewall.table[" + id + "]", Action: module.Create,
				After:   desired.String(),
				Effects: []string{"replace table " + id + " in one netlink batch"},
				Data:    tableChange{Desired: desired, Live: st.Live}}
			if st.Live != nil {
				c.Action, c.Before = module.Update, st.Live.String()
				c.Warnings = append(c.Warnings, "replacing the table resets its counters and meters")
				if st.Live.HasUnknown() {
					c.Warnings = append(c.Warnings, "the live table holds rules harden does not understand "+
						"(edited by hand?): rollback restores only the rules it understands")
				}
			}
			p.Changes = append(p.Changes, c)
		}
	}
	if st.DenyFile != nil {
		p.Notes = append(p.Notes, denyFileNotes(desired, st.DenyFile)...)
	}
	if len(st.Containers) > 0 {
		p.Notes = append(p.Notes, containersNote(st.Containers, cfg))
	}
	if held := m.heldForSSHD(st.SSHDPorts); len(held) > 0 {
		p.Notes = append(p.Notes, m.heldNote(held))
	}
	file := []byte(renderFile(desired))
	if !st.FileExists || string(st.File) != string(file) {
		p.Changes = append(p.Changes, fileChangeOf(m.persistPath, st.File, st.FileExists, file, 0o644))
	}
	conf, changed := confWithInclude(st.Conf, st.ConfExists, m.persistPath)
	if kept, replaced := withoutFlushRuleset(conf, st.ConfTables); replaced {
		conf, changed = kept, true
		p.Notes = append(p.Notes, flushNote(confPath, st.ConfTables))
	}
	for _, f := range st.ConfFlushing {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s, included from %s, begins with `flush ruleset`: every "+
			"load of %s removes every table, Docker's included; harden leaves that file alone", f, confPath, confPath))
	}
	if changed {
		p.Changes = append(p.Changes, fileChangeOf(m.confPath, st.Conf, st.ConfExists, []byte(conf), 0o755))
	}
	if !st.Enabled {
		p.Changes = append(p.Changes, module.Change{Module: "firewall",
			Address: "firewall.service[" + serviceName + "]", Action: module.Update,
			Fields:  []module.Field{{Name: "enabled", Before: "false", After: "true"}},
			Effects: []string{"enable " + serviceName + " (loads " + confPath + " at boot)"},
			Data:    serviceChange{}})
	}
	return p, nil
}

// prerequisites refuses a plan that apply could not carry out. The table
// itself is loaded over netlink; the nftables package provides the unit
// that loads the persisted file at boot and the nft that checks the file
// first. harden does not install the package: it is on every standard
// Debian and Ubuntu system (priority important), and it brings its own
// /etc/nftables.conf, which a plan made before it exists could not show.
func prerequisites(st *State) error {
	install := "apt-get install nftables"
	if st.Offline {
		install = "install it in the image (chroot " + st.Root + " apt-get install nftables)"
	}
	if st.Unit == "" {
		return fmt.Errorf("firewall: %s not found (the nftables package is not installed): nothing would load "+
			"the table at boot, and apply could not enable it: %s, then plan again", serviceName, install)
	}
	if st.NoNft {
		return fmt.Errorf("firewall: nft not found: apply checks the file to persist with nft -c: %s, then "+
			"plan again", install)
	}
	return nil
}

func fileChangeOf(path string, before []byte, existed bool, after []byte, mode uint32) module.Change {
	c := module.Change{Module: "firewall", Address: "firewall.file[" + path + "]", Action: module.Create,
		After: string(after), Data: fileChange{Path: path, Content: after, Mode: mode}}
	if existed {
		c.Action, c.Before = module.Update, string(before)
	}
	return c
}

// lockoutGuard refuses a ruleset that would not accept a new connection
// from the operator's own SSH session (SSH_CONNECTION: its source address
// and server port), unless the profile says so. The error names what
// closes it: deny_sources, a line of deny_sources_file, ssh_allow_sources
// or the port.
func lockoutGuard(cfg Config, denyFile *SourceFile, t *Table, src netip.Addr, sshPort int) error {
	if sshPort == 0 || cfg.AllowOperatorLockout || t.acceptsTCP(src, sshPort) {
		return nil
	}
	const override = "or set allow_operator_lockout = true in the firewall block if you reach this machine another way"
	if p, ok := containing(cfg.DenySources, src); ok {
		return fmt.Errorf("firewall: deny_sources holds %s the address of your SSH session (SSH_CONNECTION): "+
			"the ruleset would drop every packet from it: remove it from deny_sources, %s", heldBy(p, src), override)
	}
	if denyFile != nil {
		for _, e := range denyFile.Entries {
			if e.Prefix.Contains(src) {
				return fmt.Errorf("firewall: %s:%d (deny_sources_file) holds %s the address of your SSH session "+
					"(SSH_CONNECTION): the ruleset would drop every packet from it: remove that line, %s",
					denyFile.Path, e.Line, heldBy(e.Prefix, src), override)
			}
		}
	}
	if len(cfg.SSHAllowSources) > 0 && slices.Contains(cfg.SSHPorts, sshPort) {
		if _, ok := containing(cfg.SSHAllowSources, src); !ok {
			return fmt.Errorf("firewall: ssh_allow_sources does not hold %s, the address of your SSH session "+
				"(SSH_CONNECTION): the ruleset would drop new SSH connections from it: add it (or a prefix "+
				"holding it) to ssh_allow_sources, %s", src, override)
		}
	}
	return fmt.Errorf("firewall: the ruleset would drop new connections to TCP port %d, the port of your "+
		"SSH session (SSH_CONNECTION): keep %d among sshd's ports (or in the firewall's ssh_ports) until you "+
		"have logged in on the new port, %s", sshPort, sshPort, override)
}

// heldBy names the denied prefix p that holds src, and src if p is wider.
func heldBy(p netip.Prefix, src netip.Addr) string {
	if p.IsSingleIP() {
		return formatPrefix(p)
	}
	return formatPrefix(p) + ", which holds " + src.String() + ","
}

// renderFile is the persisted file: loading it (nftables.service at boot,
// or `nft -f` by hand) replaces harden's table whole and nothing else.
func renderFile(t *Table) string {
	return fmt.Sprintf(`# Managed by harden (firewall module): rewritten by every apply.
# Loaded at boot by nftables.service through an include in %s.
# The first two lines make loading replace table %s whole; other tables stay.
table %s
delete table %s

%s`, confPath, t.ID(), t.ID(), t.ID(), t)
}
