// Package haproxy puts HAProxy in front of the IRI node's API: it installs
// Debian's package when missing, renders /etc/haproxy/haproxy.cfg from the
// profile's policies, validates the candidate with `haproxy -c` before it
// goes live, reloads and enables haproxy.service.
//
// The file is fully managed: the stock global/defaults sections and any
// other section in it are replaced by the rendered file, and the plan says
// so. Policies are switched off explicitly (a limit of 0, `cors = false`);
// an attribute left out, or set to null, takes its safe default.
//
//	haproxy {
//	  port             = 14267
//	  allowed_commands = ["getNodeInfo", "getBalances", ...]
//	  max_requests_per_ip = 100   # per rate_period; 0 turns it off
//	}
package haproxy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/host"
	"harden/modules/internal/dpkg"
	"harden/modules/module"
)

const (
	configPath = "/etc/haproxy/haproxy.cfg"
	unitName   = "haproxy.service"
	pkgName    = "haproxy"
)

// Factory registers the `haproxy` block.
var Factory = module.Factory{
	Block: "haproxy",
	Doc:   "HAProxy in front of the node's API: command allowlist, rate limits, bounded load on the node",
	New:   func() module.Module { return &Module{settings: DefaultSettings()} },
}

// Module converges HAProxy.
type Module struct {
	settings Settings
	dec      decoded
	// linkNotes say what the iri block changed (commands dropped from the
	// default allowlist because the node limits them).
	linkNotes []string
}

var (
	_ module.Module = (*Module)(nil)
	_ module.Linker = (*Module)(nil)
	_ module.Undoer = (*Module)(nil)
)

// Name is the address prefix.
func (m *Module) Name() string { return "haproxy" }

// Decode reads the haproxy block.
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	s, dec, diags := decodeSettings(block, ctx)
	m.settings, m.dec = s, dec
	return diags
}

// Settings returns the decoded settings (tests render them with their own
// ports and paths).
func (m *Module) Settings() Settings { return m.settings }

// PublicPort is the API port the firewall opens.
func (m *Module) PublicPort() int { return m.settings.Port }

// Refuses reports whether the proxy answers command with 403 to every
// client: a command the iri block limits, or one outside the allowlist.
func (m *Module) Refuses(command string) bool {
	s := m.settings
	return contains(s.LimitedCommands, command) || (len(s.AllowedCommands) > 0 && !contains(s.AllowedCommands, command))
}

// iriPeer is what haproxy needs from the iri module.
type iriPeer interface {
	RemoteLimitAPI() []string
	APIPort() int
}

// Link takes the node's API port and REMOTE_LIMIT_API from the iri block.
// Behind the proxy every call reaches the node from loopback, where IRI does
// not apply REMOTE_LIMIT_API: an allowlist that lets one of those commands
// through would open it to the world, so that is an error.
func (m *Module) Link(peers module.Peers) hcl.Diagnostics {
	if diags := m.linkAPI(peers); diags != nil || m.settings.JSONRPC != nil {
		return diags
	}
	p, ok := peers.Lookup("iri")
	if !ok {
		return nil
	}
	iri, ok := p.(iriPeer)
	if !ok {
		return nil
	}
	var diags hcl.Diagnostics
	if !m.dec.nodeSet {
		if port := iri.APIPort(); port > 0 {
			m.settings.Node = fmt.Sprintf("127.0.0.1:%d", port)
		}
	}
	limited := iri.RemoteLimitAPI()
	m.settings.LimitedCommands = append([]string(nil), limited...)
	var kept []string
	for _, c := range m.settings.AllowedCommands {
		if !contains(limited, c) {
			kept = append(kept, c)
			continue
		}
		if m.dec.allowedSet {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Command allowed by haproxy but limited by iri",
				Detail: fmt.Sprintf("allowed_commands: %q is in the iri block's remote_limit_api. Behind HAProxy every "+
					"call reaches the node from loopback, where IRI does not apply that limit, so allowing it here "+
					"would open it to everyone. Remove it from one of the two lists.", c),
				Subject: m.dec.allowedRange.Ptr(),
			})
			continue
		}
		m.linkNotes = append(m.linkNotes, fmt.Sprintf("%s is left out of the default allowlist: the iri block limits it", c))
	}
	m.settings.AllowedCommands = kept
	return diags
}

// State is what Read found.
type State struct {
	Installed bool
	Version   string
	// Config is the current haproxy.cfg; Exists tells an empty file from
	// none.
	Config string
	Exists bool
	// Enabled and Active describe haproxy.service; Active is "" when it
	// cannot be known (offline root).
	Enabled bool
	Active  string
	Offline bool
	// Validator is the haproxy binary that can check a candidate ("" if
	// none on the machine harden runs on).
	Validator string
}

// Read gathers the package, the file and the unit. No side effects.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	st := State{Offline: h.Offline()}
	var err error
	st.Installed, st.Version, err = packageVersion(h)
	if err != nil {
		return nil, err
	}
	data, err := h.ReadFile(configPath)
	switch {
	case err == nil:
		st.Config, st.Exists = string(data), true
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("haproxy: read %s: %w", configPath, err)
	}
	if st.Installed {
		if st.Enabled, err = h.Systemd().IsEnabled(ctx, unitName); err != nil {
			return nil, fmt.Errorf("haproxy: is-enabled %s: %w", unitName, err)
		}
	}
	if !st.Offline && st.Installed {
		if v, err := h.Systemd().Property(ctx, unitName, "ActiveState"); err == nil {
			st.Active, _ = v.(string)
		}
	}
	if p, err := exec.LookPath("haproxy"); err == nil {
		st.Validator = p
	}
	return st, nil
}

// packageVersion reads dpkg's status database (the root's own when
// offline). No database at all, as under a bare -root tree, means nothing
// is installed.
func packageVersion(h *host.Host) (bool, string, error) {
	status, err := h.ReadFile(dpkg.StatusPath)
	if errors.Is(err, os.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("haproxy: read package state: %w", err)
	}
	pkg, _ := dpkg.Lookup(status, pkgName)
	return pkg.Installed(), pkg.Version, nil
}

// changeData tells Apply what a change is.
type changeData string

const (
	doInstall changeData = "install"
	doWrite   changeData = "write"
	doUnit    changeData = "unit"
)

// Plan compares the rendered file, the package and the unit with the state.
func (m *Module) Plan(state module.State) (module.Plan, error) {
	st, ok := state.(State)
	if !ok {
		return module.Plan{}, fmt.Errorf("haproxy: unexpected state %T", state)
	}
	var p module.Plan
	p.Notes = append(p.Notes, m.linkNotes...)
	p.Warnings = append(p.Warnings, m.warnings()...)
	willInstall := false
	switch {
	case !st.Installed && st.Offline:
		p.Notes = append(p.Notes, "offline root: haproxy is not installed there and harden installs no packages "+
			"offline; install it in the image (apt-get install haproxy). The configuration is written anyway.")
	case !st.Installed:
		willInstall = true
		p.Changes = append(p.Changes, module.Change{
			Module: "haproxy", Address: "haproxy.package[haproxy]", Action: module.Create,
			Fields:  []module.Field{{Name: "version", BeforeUnset: true, After: "Debian's candidate"}},
			Effects: []string{"install haproxy"}, Data: doInstall,
		})
	}
	want := Render(m.settings)
	running := !st.Offline && (st.Active == "active" || willInstall)
	if !st.Exists || st.Config != want {
		c := module.Change{Module: "haproxy", Address: "haproxy.file[" + configPath + "]", Action: module.Update,
			Before: st.Config, After: want, Data: doWrite}
		if !st.Exists {
			c.Action = module.Create
		}
		if running {
			c.Effects = []string{"reload " + unitName}
		}
		p.Changes = append(p.Changes, c)
		p.Notes = append(p.Notes, configPath+" is fully managed: its global and defaults sections and any "+
			"other sections are replaced by the rendered file (the old one is kept in the run's backup).")
		if st.Validator == "" {
			p.Notes = append(p.Notes, "no haproxy binary on this machine: the candidate cannot be checked with haproxy -c")
		}
	}
	if st.Installed || willInstall {
		var fields []module.Field
		var effects []string
		if !st.Enabled {
			fields = append(fields, module.Field{Name: "enabled", Before: "false", After: "true"})
			effects = append(effects, "enable "+unitName)
		}
		if !st.Offline && !willInstall && st.Active != "" && st.Active != "active" {
			fields = append(fields, module.Field{Name: "active", Before: st.Active, After: "active"})
			effects = append(effects, "start "+unitName)
		}
		if len(fields) > 0 {
			p.Changes = append(p.Changes, module.Change{Module: "haproxy", Address: "haproxy.unit[" + unitName + "]",
				Action: module.Update, Fields: fields, Effects: effects, Data: doUnit})
		}
	}
	if st.Offline {
		p.Notes = append(p.Notes, "offline root: planned from files alone; no reload or start")
	}
	return p, nil
}

// warnings name settings the operator chose to leave weak.
func (m *Module) warnings() []string {
	s := m.settings
	if s.JSONRPC != nil {
		return jsonRPCWarnings(s)
	}
	var w []string
	if s.HeavyTimeout < iriTipSelectionTimeout {
		w = append(w, fmt.Sprintf("heavy_timeout %s is shorter than IRI's tip-selection timeout (%s): the proxy frees "+
			"a slot while the node still computes, and heavy calls can pile up on the node", dur(s.HeavyTimeout), dur(iriTipSelectionTimeout)))
	}
	if !s.StrictJSON {
		w = append(w, "strict_json = false: nested JSON reaches the node; only the syntax a lenient parser reads differently is denied")
	}
	if s.HeavyMaxConnPerIP == 0 && len(costlyCommands(s)) > 0 {
		w = append(w, "heavy_maxconn_per_ip = 0: one client can take every heavy slot and fill its queue")
	}
	if s.MaxConnPerIP == 0 && s.MaxRequestsPerIP == 0 {
		w = append(w, "no per-address limits (max_conn_per_ip and max_requests_per_ip are 0)")
	}
	return w
}
