package iri

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"harden/modules/host"
	"harden/modules/internal/accounts"
	"harden/modules/module"
)

// State is the ini file and who owns it.
type State struct {
	Offline bool
	Data    []byte // nil: missing
	Meta    host.FileMeta
	// FileOwner is "user:group" of the file; Owner is what the profile's
	// owner resolves to now ("" when the user does not exist yet).
	FileOwner  string
	Owner      string
	UnitActive string // live ActiveState ("" unknown)
}

// Read reads the ini file, its owner and the unit's state.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	c := m.cfg
	st := &State{Offline: h.Offline()}
	data, err := h.ReadFile(c.Path)
	switch {
	case err == nil:
		st.Data = data
		if st.Meta, err = h.Meta(c.Path); err != nil {
			return nil, fmt.Errorf("iri: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("iri: %w", err)
	}
	if c.Owner != "" {
		db, err := accounts.Read(h.ReadFile)
		if err != nil {
			return nil, fmt.Errorf("iri: %w", err)
		}
		if u, ok := db.User(c.Owner); ok {
			st.Owner = u.Name + ":" + db.GroupName(u.GID)
		}
		if st.Data != nil {
			st.FileOwner = db.UserName(st.Meta.UID) + ":" + db.GroupName(st.Meta.GID)
		}
	}
	if c.Unit != "" && !h.Offline() {
		if v, err := h.Systemd().Property(ctx, c.Unit, "ActiveState"); err == nil {
			st.UnitActive, _ = v.(string)
		}
	}
	return st, nil
}

// fileChange is the payload for Apply.
type fileChange struct {
	Path    string
	Data    []byte // nil: content unchanged
	Create  bool
	Owner   string // user name to chown to ("": leave)
	Restart bool
}

// listSep is how IRI splits list values (",| ").
var listSep = regexp.MustCompile(`[,\s]+`)

// sameCommands compares a REMOTE_LIMIT_API value with the list as sets:
// order does not matter to IRI, quoting does (IRI does not unquote).
func sameCommands(value string, want []string) bool {
	var have []string
	for _, f := range listSep.Split(value, -1) {
		if f != "" {
			have = append(have, f)
		}
	}
	a, b := slices.Clone(have), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// wanted lists the managed keys in a stable order with their values.
func (c Config) wanted() [][2]string {
	var kv [][2]string
	if c.RemoteLimitAPI != nil {
		kv = append(kv, [2]string{keyRemoteLimitAPI, strings.Join(c.RemoteLimitAPI, ", ")})
	}
	if c.APIHost != "" {
		kv = append(kv, [2]string{keyAPIHost, c.APIHost})
	}
	if c.Port != 0 {
		kv = append(kv, [2]string{keyPort, strconv.Itoa(c.Port)})
	}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kv = append(kv, [2]string{k, c.Settings[k]})
	}
	return kv
}

// Plan edits the ini file in memory and compares.
func (m *Module) Plan(s module.State) (module.Plan, error) {
	st, ok := s.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("iri: unexpected state %T", s)
	}
	c := m.cfg
	var p module.Plan
	doc := parseINI(st.Data)
	var fields []module.Field
	for _, kv := range c.wanted() {
		key, want := kv[0], kv[1]
		have, set := doc.get(section, key)
		if _, n := doc.find(section, key); n > 1 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s sets %s %d times in [%s]; IRI uses the last one, which harden manages", c.Path, key, n, section))
		}
		same := set && have == want
		if key == keyRemoteLimitAPI {
			same = set && sameCommands(have, c.RemoteLimitAPI)
		}
		if same {
			continue
		}
		fields = append(fields, module.Field{Name: key, Before: have, BeforeUnset: !set, After: want})
		doc.set(section, key, want)
	}
	after := doc.bytes()
	if st.Data == nil && len(after) == 0 {
		after = []byte("[" + section + "]\n") // nothing managed: still create the file with its section
	}
	ch := module.Change{Module: "iri", Address: "iri.file[" + c.Path + "]", Fields: fields}
	fc := fileChange{Path: c.Path}
	if st.Data == nil || len(fields) > 0 {
		fc.Data, fc.Create = after, st.Data == nil
		ch.Before, ch.After = string(st.Data), string(after)
	}
	switch owner := m.wantOwner(st); {
	case owner == "":
		if c.Owner != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("user %s does not exist: %s keeps its owner", c.Owner, c.Path))
		}
	case st.Data == nil:
		ch.Fields = append(ch.Fields, module.Field{Name: "owner", After: owner, BeforeUnset: true})
		fc.Owner = c.Owner
	case owner != st.FileOwner:
		ch.Fields = append(ch.Fields, module.Field{Name: "owner", Before: st.FileOwner, After: owner})
		fc.Owner = c.Owner
	}
	if fc.Data != nil || fc.Owner != "" {
		ch.Action = module.Update
		if st.Data == nil {
			ch.Action = module.Create
		}
		running := st.UnitActive == "active" || st.UnitActive == "activating" || st.UnitActive == "reloading"
		if fc.Data != nil && running {
			if c.Restart {
				fc.Restart = true
				ch.Effects = []string{"restart " + c.Unit}
			} else {
				ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s reads %s at start: the change takes effect at its next restart (restart = false)", c.Unit, path.Base(c.Path)))
			}
		}
		ch.Data = fc
		p.Changes = append(p.Changes, ch)
	}
	m.proxyWarnings(&p)
	if st.Offline {
		p.Notes = append(p.Notes, "offline root: planned from the file alone; the node is not restarted")
	}
	return p, nil
}

// wantOwner is "user:group" the file should have, or "" when the owner is
// unmanaged or does not exist (and no user block creates it).
func (m *Module) wantOwner(st *State) string {
	switch {
	case m.cfg.Owner == "":
		return ""
	case st.Owner != "":
		return st.Owner
	case m.ownerPlanned:
		return m.cfg.Owner + ":" + m.ownerGroup
	}
	return ""
}

// passedByProxy are the limited commands the proxy is not known to refuse
// (all of them when it does not say): behind it they reach the node from
// loopback, where IRI does not limit them.
func (m *Module) passedByProxy() []string {
	var open []string
	for _, c := range m.RemoteLimitAPI() {
		if m.proxy == nil || !m.proxy.Refuses(c) {
			open = append(open, c)
		}
	}
	return open
}

// proxyWarnings explains what a loopback proxy means for REMOTE_LIMIT_API.
func (m *Module) proxyWarnings(p *module.Plan) {
	c := m.cfg
	if len(c.RemoteLimitAPI) == 0 && c.RemoteLimitAPI != nil {
		p.Warnings = append(p.Warnings, "remote_limit_api is empty: every API command, neighbour changes and proof of work included, is open to remote callers")
	}
	if !m.proxied {
		return
	}
	if open := m.passedByProxy(); len(open) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"the API is proxied from 127.0.0.1, which IRI trusts: REMOTE_LIMIT_API does not apply to proxied calls, so the proxy must refuse the same commands (%s)",
			strings.Join(open, ", ")))
	}
	if ip := net.ParseIP(c.APIHost); c.APIHost != "" && c.APIHost != "localhost" && (ip == nil || !ip.IsLoopback()) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("api_host = %q while haproxy fronts the API: clients can reach the node directly and bypass the proxy", c.APIHost))
	}
}
