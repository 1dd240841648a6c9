package iota

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"harden/modules/host"
	"harden/modules/internal/procnet"
	"harden/modules/module"
)

// State is the node's YAML and what listens on the machine now.
type State struct {
	Offline bool
	Data    []byte // nil: missing
	// Listening are the live TCP listeners (nil when unknown: offline).
	Listening  []netip.AddrPort
	UnitActive string // live ActiveState ("" unknown)
}

// Read reads the YAML, the listen table and the unit's state.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	c := m.cfg
	st := &State{Offline: h.Offline()}
	data, err := h.ReadFile(c.Path)
	switch {
	case err == nil:
		st.Data = data
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("iota: %w", err)
	}
	if h.Offline() {
		return st, nil
	}
	if st.Listening, err = procnet.Listeners(h.ReadFile); err != nil {
		return nil, fmt.Errorf("iota: listen table: %w", err)
	}
	if c.Unit != "" {
		if v, err := h.Systemd().Property(ctx, c.Unit, "ActiveState"); err == nil {
			st.UnitActive, _ = v.(string)
		}
	}
	return st, nil
}

// fileChange is the payload for Apply.
type fileChange struct {
	Path    string
	Data    []byte
	Restart bool
}

// Plan edits the YAML in memory and compares.
func (m *Module) Plan(s module.State) (module.Plan, error) {
	st, ok := s.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("iota: unexpected state %T", s)
	}
	c := m.cfg
	var p module.Plan
	if st.Data == nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s does not exist: nothing to configure until iota-node is installed "+
			"(harden never writes a node configuration from scratch)", c.Path))
		m.liveWarnings(&p, st, nil)
		return p, nil
	}
	d, err := parseDoc(c.Path, st.Data)
	if err != nil {
		return module.Plan{}, fmt.Errorf("iota: %w", err)
	}
	var fields []module.Field
	var edited [][]string
	grpcOn := grpcEnabled(d)
	for _, l := range c.Listeners {
		if l.keys[0] == "grpc-api-config" && !grpcOn {
			continue
		}
		have, set := d.scalar(l.keys...)
		if !set {
			have = l.def
		}
		converged := l.want == "" || sameAddr(have, l.want)
		if w := bindWarning(c.Path, l, have, set); w != "" && c.Container == "" {
			if !converged {
				w += "; this plan binds it to " + l.want
			}
			p.Warnings = append(p.Warnings, w)
		}
		if converged {
			continue
		}
		if err := d.setAddress(l.keys, l.want); err != nil {
			return module.Plan{}, fmt.Errorf("iota: %w", err)
		}
		fields = append(fields, module.Field{Name: strings.Join(l.keys, "."), Before: beforeValue(have, set), BeforeUnset: !set, After: l.want})
		edited = append(edited, l.keys)
	}
	if f, ok, err := m.planProxyHops(d, &p); err != nil {
		return module.Plan{}, fmt.Errorf("iota: %w", err)
	} else if ok {
		fields = append(fields, f)
		edited = append(edited, []string{"policy-config", "client-id-source"})
	}
	if len(fields) > 0 {
		if err := m.readsBack(st.Data, d.data, edited); err != nil {
			return module.Plan{}, fmt.Errorf("iota: %s: in-place edit: %w; edit the file by hand", c.Path, err)
		}
		p.Changes = append(p.Changes, m.fileChange(st, d.data, fields))
	}
	adminWarning(d, &p)
	m.serverTypeWarning(d, &p)
	m.liveWarnings(&p, st, d)
	if st.Offline {
		p.Notes = append(p.Notes, "offline root: planned from the file alone; the listen table is not read and the node is not restarted")
	}
	return p, nil
}

func (m *Module) fileChange(st *State, after []byte, fields []module.Field) module.Change {
	c := m.cfg
	ch := module.Change{Module: "iota", Address: "iota.file[" + c.Path + "]", Action: module.Update,
		Fields: fields, Before: string(st.Data), After: string(after)}
	fc := fileChange{Path: c.Path, Data: after}
	running := st.UnitActive == "active" || st.UnitActive == "activating" || st.UnitActive == "reloading"
	switch {
	case running && c.Restart:
		fc.Restart = true
		ch.Effects = []string{"restart " + c.Unit}
	case running:
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s reads %s at start: the change takes effect at its next restart (restart = false)",
			c.Unit, path.Base(c.Path)))
	case c.Container != "":
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("container %s reads %s at start: the change takes effect when it restarts (docker restart %s)",
			c.Container, path.Base(c.Path), c.Container))
	}
	ch.Data = fc
	return ch
}

// readsBack checks the edited file: the managed values read back as
// wanted and every other setting is as it was.
func (m *Module) readsBack(before, after []byte, edited [][]string) error {
	d, err := parseDoc(m.cfg.Path, after)
	if err != nil {
		return err
	}
	for _, l := range m.cfg.Listeners {
		if v, _ := d.scalar(l.keys...); l.want != "" && containsPath(edited, l.keys) && !sameAddr(v, l.want) {
			return fmt.Errorf("%s reads back as %q", strings.Join(l.keys, "."), v)
		}
	}
	if hops := m.cfg.ProxyHops; hops > 0 && containsPath(edited, []string{"policy-config", "client-id-source"}) {
		if v, _ := d.scalar("policy-config", "client-id-source", "x-forwarded-for"); v != strconv.Itoa(hops) {
			return fmt.Errorf("client-id-source reads back as x-forwarded-for %q", v)
		}
	}
	return sameExcept(before, after, edited)
}

func containsPath(paths [][]string, p []string) bool {
	for _, q := range paths {
		if strings.Join(q, ".") == strings.Join(p, ".") {
			return true
		}
	}
	return false
}

// grpcEnabled: iota-node serves gRPC only with enable-grpc-api: true.
func grpcEnabled(d *doc) bool {
	v, _ := d.scalar("enable-grpc-api")
	return v == "true"
}

// setAddress writes a quoted address at keys, adding what is missing.
func (d *doc) setAddress(keys []string, addr string) error {
	text := strconv.Quote(addr)
	if k, v := d.lookup(keys...); v != nil {
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s:%d: %s is not a single value; edit it by hand", d.path, k.Line, strings.Join(keys, "."))
		}
		return d.replaceValue(v, inFlow(d, keys), text)
	}
	if len(keys) == 1 {
		return d.appendTop(keys[0] + ": " + text + "\n")
	}
	pk, pv := d.lookup(keys[:len(keys)-1]...)
	if pv == nil || pv.Kind == yaml.ScalarNode && pv.Tag == "!!null" && pk == nil {
		return d.appendTop(keys[0] + ":\n  " + keys[1] + ": " + text + "\n")
	}
	return d.insertChild(pk, pv, keys[len(keys)-1], text)
}

// inFlow reports whether the value at keys sits inside a flow mapping.
func inFlow(d *doc, keys []string) bool {
	if len(keys) < 2 {
		return false
	}
	_, parent := d.lookup(keys[:len(keys)-1]...)
	return parent != nil && parent.Style&yaml.FlowStyle != 0
}

func sameAddr(a, b string) bool {
	x, err1 := netip.ParseAddrPort(a)
	y, err2 := netip.ParseAddrPort(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return x == y
}

func beforeValue(have string, set bool) string {
	if set {
		return have
	}
	return ""
}

// bindWarning says when a setting, as the file leaves it, binds a port on
// more than loopback.
func bindWarning(file string, l listener, have string, set bool) string {
	where := fmt.Sprintf("%s binds %s to %s", path.Base(file), l.what, have)
	if !set {
		where = fmt.Sprintf("%s leaves %s unset: iota-node binds %s to %s", path.Base(file), strings.Join(l.keys, "."), l.what, have)
	}
	ap, err := netip.ParseAddrPort(have)
	switch {
	case err != nil:
		return fmt.Sprintf("%s, which is not an IP address and port: iota-node will not start", where)
	case ap.Addr().IsUnspecified():
		return where + ", every interface: only the firewall keeps it from the internet"
	case !ap.Addr().IsLoopback():
		return where + ", an interface other than loopback"
	}
	return ""
}
