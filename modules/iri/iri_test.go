package iri

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// peers is a fixed set of decoded modules for Link.
type peers map[string]module.Module

func (p peers) Lookup(name string) (module.Module, bool) { m, ok := p[name]; return m, ok }

// stub stands in for a peer module; only its name matters to Link.
type stub struct {
	module.Module
	name, group string
}

func (s stub) Name() string      { return s.name }
func (s stub) GroupName() string { return s.group }

func decode(t *testing.T, src string, p peers) *Module {
	t.Helper()
	m := &Module{}
	moduletest.MustDecode(t, m, src)
	if diags := m.Link(p); diags.HasErrors() {
		t.Fatal(diags)
	}
	return m
}

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name, src string
		detail    string
		line, col int
	}{
		{"command typo with suggestion", "iri {\n  remote_limit_api = [\"addNeighbors\", \"interruptAttachToTangle\"]\n}\n",
			`remote_limit_api: "interruptAttachToTangle" is not valid; expected an IRI API command. Did you mean "interruptAttachingToTangle"?`, 2, 39},
		{"command case", "iri {\n  remote_limit_api = [\n    \"GetNeighbors\",\n  ]\n}\n",
			`remote_limit_api: "GetNeighbors" is not valid; expected an IRI API command. Did you mean "getNeighbors"?`, 3, 5},
		{"duplicate command", "iri {\n  remote_limit_api = [\"getTips\", \"getTips\"]\n}\n",
			"remote_limit_api: getTips is listed twice.", 2, 34},
		{"managed key in settings", "iri {\n  settings = { PORT = \"1\" }\n}\n",
			"settings: PORT is managed by the port attribute; set it there.", 2, 16},
		{"lower-case setting", "iri {\n  settings = { neighbors = \"x\" }\n}\n",
			`settings: "neighbors" is not an IRI setting name (upper case letters, digits and _, such as "NEIGHBORS").`, 2, 16},
		{"multi-line value", "iri {\n  settings = { NEIGHBORS = \"a\\nb\" }\n}\n",
			`settings: the value of NEIGHBORS, "a\nb", holds a newline (U+000A) at byte 2; expected one line without leading or trailing spaces, such as "true" or "tcp://node.example:15600".`, 2, 16},
		{"value injecting a key", "iri {\n  settings = { DEBUG = \"false\\r\\nREMOTE_LIMIT_API = \" }\n}\n",
			`settings: the value of DEBUG, "false\r\nREMOTE_LIMIT_API = ", holds a carriage return (U+000D) at byte 6; expected one line without leading or trailing spaces, such as "true" or "tcp://node.example:15600".`, 2, 16},
		{"NUL in value", "iri {\n  settings = { NEIGHBORS = \"a\\u0000b\" }\n}\n",
			`settings: the value of NEIGHBORS, "a\x00b", holds a NUL (U+0000) at byte 2; expected one line without leading or trailing spaces, such as "true" or "tcp://node.example:15600".`, 2, 16},
		{"comment in value", "iri {\n  settings = { REMOTE_AUTH = \"user:pa#ss\" }\n}\n",
			`settings: the value of REMOTE_AUTH, "user:pa#ss", holds '#' at byte 8, which starts a comment; expected one line without leading or trailing spaces, such as "true" or "tcp://node.example:15600".`, 2, 16},
		{"padded value", "iri {\n  settings = { DEBUG = \" true\" }\n}\n",
			`settings: the value of DEBUG, " true", has leading or trailing spaces; expected one line without leading or trailing spaces, such as "true" or "tcp://node.example:15600".`, 2, 16},
		{"host injecting a key", "iri {\n  api_host = \"127.0.0.1\\nREMOTE_LIMIT_API = \"\n}\n",
			`api_host: "127.0.0.1\nREMOTE_LIMIT_API = " is not valid; expected an IP address or host name such as "127.0.0.1".`, 2, 14},
		{"port range", "iri {\n  port = 70000\n}\n",
			`port: "70000" is not valid; expected a port from 1 to 65535.`, 2, 10},
		{"bad host", "iri {\n  api_host = \"local host\"\n}\n",
			`api_host: "local host" is not valid; expected an IP address or host name such as "127.0.0.1".`, 2, 14},
		{"relative path", "iri {\n  path = \"iri.ini\"\n}\n",
			`path: "iri.ini" is not valid; expected an absolute, clean path.`, 2, 10},
		{"unknown attribute", "iri {\n  remote_limit_ap = []\n}\n",
			`An argument named "remote_limit_ap" is not expected here. Did you mean "remote_limit_api"?`, 2, 3},
		{"restart without unit", "iri {\n  unit = null\n  restart = true\n}\n",
			"restart: there is no unit to restart (unit = null).", 3, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moduletest.WantOneDiag(t, moduletest.Decode(t, &Module{}, tt.src, nil), tt.detail, tt.line, tt.col)
		})
	}
}

func TestDecodeDefaultsAndExports(t *testing.T) {
	m := decode(t, "iri {}\n", nil)
	if got := m.RemoteLimitAPI(); !slices.Equal(got, DefaultRemoteLimitAPI) {
		t.Errorf("RemoteLimitAPI = %v", got)
	}
	if m.APIPort() != 14265 || m.APIHost() != "" || m.cfg.Path != "/var/lib/iri/iri.ini" || m.cfg.Restart {
		t.Errorf("defaults: %+v", m.cfg)
	}
	// The returned list is a copy: a peer cannot change this module's config.
	m.RemoteLimitAPI()[0] = "x"
	if m.RemoteLimitAPI()[0] != "addNeighbors" {
		t.Error("RemoteLimitAPI exposes the module's slice")
	}

	proxied := decode(t, "iri {}\n", peers{"haproxy": stub{name: "haproxy"}})
	if proxied.APIHost() != "127.0.0.1" {
		t.Errorf("with haproxy, API_HOST = %q", proxied.APIHost())
	}
	explicit := decode(t, "iri {\n  api_host = null\n  port = 14600\n  remote_limit_api = [\"getTips\"]\n}\n", peers{"haproxy": stub{name: "haproxy"}})
	if explicit.APIHost() != "" || explicit.APIPort() != 14600 || !slices.Equal(explicit.RemoteLimitAPI(), []string{"getTips"}) {
		t.Errorf("explicit: host %q port %d list %v", explicit.APIHost(), explicit.APIPort(), explicit.RemoteLimitAPI())
	}
	unmanaged := decode(t, "iri {\n  remote_limit_api = null\n  port = null\n}\n", nil)
	if !slices.Equal(unmanaged.RemoteLimitAPI(), DefaultRemoteLimitAPI) || unmanaged.APIPort() != 14265 {
		t.Errorf("unmanaged exports: %v %d", unmanaged.RemoteLimitAPI(), unmanaged.APIPort())
	}
}

const sampleINI = `# IRI configuration, hand-written
[IRI]
PORT = 14265
UDP_RECEIVER_PORT = 14600
NEIGHBORS = tcp://node1.example:15600 tcp://node2.example:15600
; open it all up
REMOTE_LIMIT_API = interruptAttachToTangle, attachToTangle
IXI_DIR = ixi
DEBUG = false
`

func TestPlan(t *testing.T) {
	owned := func(s *State) { s.Owner, s.FileOwner = "iri:iri", "iri:iri" }
	tests := []struct {
		name    string
		src     string
		peers   peers
		data    string
		missing bool
		mod     func(*State)
		fields  []string // changed field names; nil: no change
		effects []string
		warn    string // a warning that must be present
	}{
		{name: "sample file gets the limits", src: "iri {}", data: sampleINI, mod: owned, fields: []string{"REMOTE_LIMIT_API"}},
		{name: "converged", src: "iri {}", mod: owned,
			data: "[IRI]\nPORT = 14265\nREMOTE_LIMIT_API = getNeighbors addNeighbors,removeNeighbors, attachToTangle interruptAttachingToTangle\n"},
		{name: "quoted list is not the list", src: "iri {}", mod: owned, fields: []string{"REMOTE_LIMIT_API"},
			data: "[IRI]\nPORT = 14265\nREMOTE_LIMIT_API = \"addNeighbors, getNeighbors, removeNeighbors, attachToTangle, interruptAttachingToTangle\"\n"},
		{name: "missing file is created with owner", src: "iri {}", missing: true, mod: func(s *State) { s.Owner = "iri:iri" },
			fields: []string{"REMOTE_LIMIT_API", "PORT", "owner"}},
		{name: "owner only", src: "iri {}", mod: func(s *State) { s.Owner, s.FileOwner = "iri:iri", "root:root" },
			data: "[IRI]\nPORT = 14265\nREMOTE_LIMIT_API = addNeighbors, getNeighbors, removeNeighbors, attachToTangle, interruptAttachingToTangle\n", fields: []string{"owner"}},
		{name: "owner created by a user block", src: "iri {}", peers: peers{"user.iri": stub{name: "user.iri", group: "iri"}},
			mod: func(s *State) { s.FileOwner = "root:root" }, data: sampleINI, fields: []string{"REMOTE_LIMIT_API", "owner"}},
		{name: "owner missing and not planned", src: "iri {}", mod: func(s *State) { s.FileOwner = "root:root" }, data: sampleINI,
			fields: []string{"REMOTE_LIMIT_API"}},
		{name: "haproxy: loopback host and proxy warning", src: "iri {}", peers: peers{"haproxy": stub{name: "haproxy"}}, mod: owned,
			data: sampleINI, fields: []string{"REMOTE_LIMIT_API", "API_HOST"}, warn: "REMOTE_LIMIT_API does not apply to proxied calls"},
		{name: "haproxy with public api_host", src: "iri {\n  api_host = \"0.0.0.0\"\n}", peers: peers{"haproxy": stub{name: "haproxy"}}, mod: owned,
			data: sampleINI, fields: []string{"REMOTE_LIMIT_API", "API_HOST"}, warn: "bypass the proxy"},
		{name: "settings", src: "iri {\n  settings = { DEBUG = \"false\", ZMQ_ENABLED = \"true\" }\n}", mod: owned,
			data: sampleINI, fields: []string{"REMOTE_LIMIT_API", "ZMQ_ENABLED"}},
		{name: "restart when running and allowed", src: "iri {\n  restart = true\n}", data: sampleINI,
			mod: func(s *State) { owned(s); s.UnitActive = "active" }, fields: []string{"REMOTE_LIMIT_API"}, effects: []string{"restart iri.service"}},
		{name: "no restart when not allowed", src: "iri {}", data: sampleINI,
			mod: func(s *State) { owned(s); s.UnitActive = "active" }, fields: []string{"REMOTE_LIMIT_API"}, warn: "next restart (restart = false)"},
		{name: "no restart when stopped", src: "iri {\n  restart = true\n}", data: sampleINI,
			mod: func(s *State) { owned(s); s.UnitActive = "inactive" }, fields: []string{"REMOTE_LIMIT_API"}},
		{name: "empty list warns", src: "iri {\n  remote_limit_api = []\n}", mod: owned, fields: []string{"REMOTE_LIMIT_API"},
			data: sampleINI, warn: "every API command"},
		{name: "everything unmanaged", src: "iri {\n  remote_limit_api = null\n  port = null\n  owner = null\n}", data: sampleINI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode(t, tt.src, tt.peers)
			st := &State{}
			if !tt.missing {
				st.Data = []byte(tt.data)
			}
			if tt.mod != nil {
				tt.mod(st)
			}
			p, err := m.Plan(st)
			if err != nil {
				t.Fatal(err)
			}
			var fields, effects []string
			for _, ch := range p.Changes {
				for _, f := range ch.Fields {
					fields = append(fields, f.Name)
				}
				effects = append(effects, ch.Effects...)
			}
			if !slices.Equal(fields, tt.fields) || !slices.Equal(effects, tt.effects) {
				t.Errorf("fields %v effects %v; want %v %v", fields, effects, tt.fields, tt.effects)
			}
			if tt.warn != "" && !containsWarning(p, tt.warn) {
				t.Errorf("no warning containing %q in %+v", tt.warn, p)
			}
			// The planned file, planned again, is converged.
			if len(p.Changes) == 1 && p.Changes[0].After != "" {
				st.Data = []byte(p.Changes[0].After)
				st.FileOwner = st.Owner
				if st.Owner == "" && m.ownerPlanned {
					st.Owner, st.FileOwner = "iri:iri", "iri:iri"
				}
				if p2, _ := m.Plan(st); !p2.Empty() {
					t.Errorf("second plan not empty: %+v", p2.Changes)
				}
			}
		})
	}
}

func containsWarning(p module.Plan, s string) bool {
	all := slices.Clone(p.Warnings)
	for _, ch := range p.Changes {
		all = append(all, ch.Warnings...)
	}
	for _, w := range all {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

// TestPlanGolden pins the whole plan for a public node's typical file.
func TestPlanGolden(t *testing.T) {
	m := decode(t, "iri {\n  restart = true\n}", peers{"haproxy": stub{name: "haproxy"}})
	p, err := m.Plan(&State{Data: []byte(sampleINI), Owner: "iri:iri", FileOwner: "root:root", UnitActive: "active"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(p, "", "  ")
	moduletest.Golden(t, "plan-public.golden", append(got, '\n'))
}

// seed writes the account databases a host's Read needs.
func seed(t *testing.T, h *host.Host) {
	t.Helper()
	files := map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/bash\niri:x:990:990::/var/lib/iri:/usr/sbin/nologin\n",
		"/etc/group":  "root:x:0:\niri:x:990:\n",
	}
	for p, data := range files {
		if err := os.MkdirAll(filepath.Dir(h.Path(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.Path(p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestApplyAndUndo(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	seed(t, h)
	ini := "/var/lib/iri/iri.ini"
	if err := os.MkdirAll(filepath.Dir(h.Path(ini)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path(ini), []byte(sampleINI), 0o600); err != nil {
		t.Fatal(err)
	}
	m := decode(t, "iri {\n  restart = true\n  settings = { ZMQ_ENABLED = \"true\" }\n}", nil)
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil || len(p.Changes) != 1 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(h.Path(ini))
	moduletest.Golden(t, "applied.ini.golden", got)
	meta, _ := h.Meta(ini)
	if meta.Mode != 0o600 {
		t.Errorf("mode changed to %o", meta.Mode)
	}
	if os.Geteuid() == 0 && (meta.UID != 990 || meta.GID != 990) {
		t.Errorf("owner %d:%d, want 990:990", meta.UID, meta.GID)
	}
	if len(sd.Jobs) != 0 {
		t.Errorf("offline root restarted units: %v", sd.Jobs)
	}
	st2, _ := m.Read(ctx, h)
	if p2, _ := m.Plan(st2); !p2.Empty() && os.Geteuid() == 0 {
		t.Errorf("second plan not empty: %+v", p2.Changes)
	}
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	back, _ := os.ReadFile(h.Path(ini))
	if string(back) != sampleINI {
		t.Errorf("undo did not restore the file byte for byte:\n%s", back)
	}
}

func TestApplyCreatesFile(t *testing.T) {
	ctx := context.Background()
	h, _ := hosttest.New(t)
	seed(t, h)
	m := decode(t, "iri {}", nil)
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(st)
	if len(p.Changes) != 1 || p.Changes[0].Action != module.Create {
		t.Fatalf("plan: %+v", p)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(h.Path(m.cfg.Path))
	want := "[IRI]\nREMOTE_LIMIT_API = addNeighbors, getNeighbors, removeNeighbors, attachToTangle, interruptAttachingToTangle\nPORT = 14265\n"
	if string(got) != want {
		t.Errorf("created:\n%s", got)
	}
	if meta, _ := h.Meta(m.cfg.Path); meta.Mode != 0o640 {
		t.Errorf("mode %o, want 0640", meta.Mode)
	}
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if h.Exists(m.cfg.Path) {
		t.Error("undo left the created file")
	}
}
