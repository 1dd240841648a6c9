package limits

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"harden/modules/host/hosttest"
	"harden/modules/internal/unitdropin"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func decode(t *testing.T, src string) *Module {
	t.Helper()
	m := &Module{}
	moduletest.MustDecode(t, m, src)
	return m
}

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name, src, detail string
		line, col         int
	}{
		{"too low", "limits {\n  nofile = 512\n}", `nofile: "512" is not valid; expected a number from 1024 to 1048576 (the kernel's default fs.nr_open).`, 2, 12},
		{"too high", "limits {\n  nofile = 2000000\n}", `nofile: "2000000" is not valid; expected a number from 1024 to 1048576 (the kernel's default fs.nr_open).`, 2, 12},
		{"fraction", "limits {\n  nofile = 6553.5\n}", "nofile: 6553.5 is not a whole number.", 2, 12},
		{"null", "limits {\n  nofile = null\n}", "nofile: the open-files limit is what this block manages; remove the limits block to leave it alone.", 2, 12},
		{"unit name", "limits {\n  unit = \"iri\"\n}", `unit: "iri" is not valid; expected a systemd service name such as "iri.service".`, 2, 10},
		{"user name", "limits {\n  user = \"Iri Node\"\n}", `user: "Iri Node" is not valid; expected a user name (a-z, 0-9, _ and -, starting with a letter or _).`, 2, 10},
		{"restart without unit", "limits {\n  unit = null\n  restart = true\n}", "restart: there is no unit to restart (unit = null).", 3, 13},
		{"unknown attribute", "limits {\n  no_file = 1\n}", `An argument named "no_file" is not expected here. Did you mean "nofile"?`, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := moduletest.Decode(t, &Module{}, tt.src, nil)
			moduletest.WantOneDiag(t, diags, tt.detail, tt.line, tt.col)
		})
	}
}

func TestDecodeDefaults(t *testing.T) {
	m := decode(t, "limits {}")
	want := Config{Nofile: 65535, Unit: "iri.service", User: "iri"}
	if m.cfg != want {
		t.Errorf("defaults %+v, want %+v", m.cfg, want)
	}
	if m := decode(t, "limits {\n  unit = null\n  user = null\n}"); m.cfg.Unit != "" || m.cfg.User != "" {
		t.Errorf("null did not unmanage: %+v", m.cfg)
	}
}

// converged is the state of a machine where everything is in place.
func converged(c Config) *State {
	return &State{DropIn: c.DropIn(), LimitsFile: c.LimitsFile(),
		Live: &Live{LoadState: "loaded", Configured: uint64(c.Nofile), MainPID: 42, ProcSoft: uint64(c.Nofile), ProcHard: uint64(c.Nofile), Cap: 1 << 20}}
}

func TestPlan(t *testing.T) {
	c := decode(t, "limits {}").cfg
	dropIn := "limits.file[/etc/systemd/system/iri.service.d/harden-limits.conf]"
	limitsD := "limits.file[/etc/security/limits.d/harden-iri.conf]"
	unitAddr := "limits.unit[iri.service]"
	tests := []struct {
		name    string
		src     string
		mod     func(*State)
		changes []string // addresses
		effects []string
		warn    string
		note    string
	}{
		{name: "converged", mod: func(*State) {}},
		{name: "fresh node, no restart", mod: func(s *State) {
			s.DropIn, s.LimitsFile = nil, nil
			s.Live.Configured, s.Live.ProcSoft, s.Live.ProcHard = 524288, 1024, 524288
		}, changes: []string{limitsD, dropIn}, effects: []string{"daemon-reload"}, warn: "runs with 1024 open files; it gets 65535 at its next restart"},
		{name: "fresh node, restart allowed", src: "limits {\n  restart = true\n}", mod: func(s *State) {
			s.DropIn, s.LimitsFile = nil, nil
			s.Live.Configured, s.Live.ProcSoft = 4096, 4096
		}, changes: []string{limitsD, dropIn}, effects: []string{"daemon-reload", "restart iri.service"}},
		{name: "container cap is a warning, not a diff", mod: func(s *State) {
			s.Live.Cap, s.Live.ProcSoft, s.Live.ProcHard = 20000, 20000, 20000
		}, warn: "caps open files at 20000 (the service manager's own hard limit): iri.service asks for 65535"},
		{name: "cap with a process below it and restart", src: "limits {\n  restart = true\n}", mod: func(s *State) {
			s.Live.Cap, s.Live.ProcSoft = 20000, 1024
		}, changes: []string{unitAddr}, effects: []string{"restart iri.service"}, warn: "caps open files at 20000"},
		{name: "pending daemon-reload", mod: func(s *State) { s.Live.Configured = 4096 },
			changes: []string{unitAddr}, effects: []string{"daemon-reload"}},
		{name: "old process, restart allowed", src: "limits {\n  restart = true\n}", mod: func(s *State) { s.Live.ProcSoft = 1024 },
			changes: []string{unitAddr}, effects: []string{"restart iri.service"}},
		{name: "old process, restart not allowed", mod: func(s *State) { s.Live.ProcSoft = 1024 },
			warn: "iri.service (pid 42) runs with 1024 open files; it gets 65535 at its next restart (restart = false)"},
		{name: "later drop-in overrides ours", mod: func(s *State) {
			s.Live.Configured = 4096
			s.Overrides = []string{"/etc/systemd/system/iri.service.d/override.conf: LimitNOFILE=4096"}
		}, warn: "override.conf: LimitNOFILE=4096 comes after"},
		{name: "edited drop-in", mod: func(s *State) {
			s.DropIn = []byte("[Service]\nLimitNOFILE=4096\n")
		}, changes: []string{dropIn}, effects: []string{"daemon-reload"}},
		{name: "not running", src: "limits {\n  restart = true\n}", mod: func(s *State) {
			s.DropIn = nil
			s.Live.MainPID, s.Live.ProcSoft = 0, 0
		}, changes: []string{dropIn}, effects: []string{"daemon-reload"}, note: "not running"},
		{name: "unit not installed", mod: func(s *State) { s.Live = &Live{LoadState: "not-found"} }, note: "not installed (not-found)"},
		{name: "systemd unreachable", mod: func(s *State) { s.Live, s.LiveErr = nil, "connection refused" }, warn: "could not read iri.service from systemd (connection refused)"},
		{name: "offline: files only", mod: func(s *State) { s.Offline, s.Live, s.LimitsFile = true, nil, nil },
			changes: []string{limitsD}, note: "offline root"},
		{name: "unmanaged unit and user", src: "limits {\n  unit = null\n  user = null\n}", mod: func(s *State) { s.DropIn, s.LimitsFile = nil, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == "" {
				src = "limits {}"
			}
			m := decode(t, src)
			st := converged(c)
			tt.mod(st)
			checkPlan(t, m, st, tt.changes, tt.effects, tt.warn, tt.note)
		})
	}
}

// checkPlan plans st and compares the changes' addresses and effects; a
// warning and a note must contain warn and note, and with warn "" there
// must be no warning at all. It returns the plan.
func checkPlan(t *testing.T, m *Module, st *State, changes, effects []string, warn, note string) module.Plan {
	t.Helper()
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	var addrs, effs []string
	for _, ch := range p.Changes {
		addrs = append(addrs, ch.Address)
		effs = append(effs, ch.Effects...)
	}
	if !slices.Equal(addrs, changes) || !slices.Equal(effs, effects) {
		t.Errorf("changes %v effects %v; want %v %v", addrs, effs, changes, effects)
	}
	if warn != "" && !has(p.Warnings, warn) {
		t.Errorf("no warning with %q: %q", warn, p.Warnings)
	}
	if warn == "" && len(p.Warnings) > 0 {
		t.Errorf("unexpected warnings %q", p.Warnings)
	}
	if note != "" && !has(p.Notes, note) {
		t.Errorf("no note with %q: %q", note, p.Notes)
	}
	return p
}

func has(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.Contains(x, s) })
}

func TestFieldsShowOldLimit(t *testing.T) {
	m := decode(t, "limits {}")
	st := converged(m.cfg)
	st.DropIn = []byte("[Service]\nLimitNOFILE=4096\n")
	p, _ := m.Plan(st)
	f := p.Changes[0].Fields[0]
	if f.Name != "LimitNOFILE" || f.Before != "4096" || f.After != "65535" || f.BeforeUnset {
		t.Errorf("field %+v", f)
	}
}

func TestRenderedFilesGolden(t *testing.T) {
	c := decode(t, "limits {}").cfg
	moduletest.Golden(t, "harden-limits.conf.golden", c.DropIn())
	moduletest.Golden(t, "harden-iri.conf.golden", c.LimitsFile())
	// The drop-in reads back through go-systemd's parser.
	opts, err := unitdropin.Parse(c.DropIn())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := unitdropin.Value(opts, "Service", "LimitNOFILE"); !ok || v != "65535" {
		t.Errorf("LimitNOFILE read back as %q, %v", v, ok)
	}
}

// TestParseProcLimits parses this test process's own /proc/self/limits and
// compares it with what the kernel reports through getrlimit.
func TestParseProcLimits(t *testing.T) {
	data, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	soft, hard, err := parseProcLimits(data)
	if err != nil {
		t.Fatal(err)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if soft != rl.Cur || hard != rl.Max {
		t.Errorf("parsed %d/%d, getrlimit %d/%d", soft, hard, rl.Cur, rl.Max)
	}
	if _, _, err := parseProcLimits([]byte("Limit Soft Hard Units\n")); err == nil {
		t.Error("no error without a Max open files line")
	}
	s, h, _ := parseProcLimits([]byte("Max open files            unlimited            unlimited            files\n"))
	if s != ^uint64(0) || h != s {
		t.Errorf("unlimited parsed as %d/%d", s, h)
	}
}

// fakeProc serves /proc paths from a map.
type fakeProc map[string]string

func (f fakeProc) read(p string) ([]byte, error) {
	if s, ok := f[p]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
}

func TestReadLive(t *testing.T) {
	limits := func(soft, hard string) string {
		return "Limit                     Soft Limit           Hard Limit           Units     \n" +
			"Max open files            " + soft + "                " + hard + "                files     \n"
	}
	tests := []struct {
		name    string
		props   map[string]any
		proc    fakeProc
		want    Live
		wantErr bool
	}{
		{name: "container: PID 1 without CAP_SYS_RESOURCE caps at its hard limit",
			props: map[string]any{"LoadState": "loaded", "LimitNOFILE": uint64(65535), "MainPID": uint32(7)},
			proc: fakeProc{"/proc/7/limits": limits("20000", "20000"), "/proc/1/limits": limits("20000", "20000"),
				"/proc/1/status": "Name:\tsystemd\nCapEff:\t000001fffeffffff\n", "/proc/sys/fs/nr_open": "1048576\n"},
			want: Live{LoadState: "loaded", Configured: 65535, MainPID: 7, ProcSoft: 20000, ProcHard: 20000, Cap: 20000}},
		{name: "VPS: PID 1 with CAP_SYS_RESOURCE is capped by nr_open",
			props: map[string]any{"LoadState": "loaded", "LimitNOFILE": uint64(65535), "MainPID": uint32(7)},
			proc: fakeProc{"/proc/7/limits": limits("65535", "65535"), "/proc/1/limits": limits("1024", "4096"),
				"/proc/1/status": "CapEff:\t000001ffffffffff\n", "/proc/sys/fs/nr_open": "1048576\n"},
			want: Live{LoadState: "loaded", Configured: 65535, MainPID: 7, ProcSoft: 65535, ProcHard: 65535, Cap: 1048576}},
		{name: "not running", props: map[string]any{"LoadState": "loaded", "LimitNOFILE": uint64(524288), "MainPID": uint32(0)},
			proc: fakeProc{"/proc/sys/fs/nr_open": "1048576\n"},
			want: Live{LoadState: "loaded", Configured: 524288, Cap: 1048576}},
		{name: "not installed", props: map[string]any{"LoadState": "not-found"}, want: Live{LoadState: "not-found"}},
		{name: "process gone between questions", props: map[string]any{"LoadState": "loaded", "LimitNOFILE": uint64(1), "MainPID": uint32(9)},
			proc: fakeProc{}, wantErr: true},
		{name: "no systemd answer", props: map[string]any{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := &hosttest.Systemd{Props: map[string]any{}}
			for k, v := range tt.props {
				sd.Props["iri.service/"+k] = v
			}
			got, err := readLive(context.Background(), sd, tt.proc.read, "iri.service")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && *got != tt.want {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestApplyAndUndo(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	override := "/etc/systemd/system/iri.service.d/override.conf"
	if err := os.MkdirAll(filepath.Dir(h.Path(override)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path(override), []byte("[Service]\nLimitNOFILE=4096\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := decode(t, "limits {\n  nofile = 100000\n  restart = true\n}")
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil || len(p.Changes) != 2 {
		t.Fatalf("plan %v: %+v", err, p)
	}
	if !has(p.Warnings, "override.conf: LimitNOFILE=4096 comes after") {
		t.Errorf("override not reported: %q", p.Warnings)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if len(sd.Jobs) != 0 {
		t.Errorf("unit jobs before the engine runs the deferred ones: %v", sd.Jobs)
	}
	if err := h.RunDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	dropIn, _ := os.ReadFile(h.Path(unitdropin.Path("iri.service", DropInName)))
	if !strings.Contains(string(dropIn), "LimitNOFILE=100000\n") {
		t.Errorf("drop-in:\n%s", dropIn)
	}
	lim, _ := os.ReadFile(h.Path("/etc/security/limits.d/harden-iri.conf"))
	if !strings.Contains(string(lim), "iri soft nofile 100000\niri hard nofile 100000\n") {
		t.Errorf("limits.d:\n%s", lim)
	}
	// Offline root: no restart planned; the reload is journaled.
	if !slices.Equal(sd.Jobs, []string{"daemon-reload"}) {
		t.Errorf("jobs %v", sd.Jobs)
	}
	st2, _ := m.Read(ctx, h)
	if p2, _ := m.Plan(st2); !p2.Empty() {
		t.Errorf("second plan: %+v", p2.Changes)
	}
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{unitdropin.Path("iri.service", DropInName), "/etc/security/limits.d/harden-iri.conf"} {
		if _, err := os.Stat(h.Path(f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("undo left %s (%v)", f, err)
		}
	}
	if data, _ := os.ReadFile(h.Path(override)); string(data) != "[Service]\nLimitNOFILE=4096\n" {
		t.Errorf("override changed: %q", data)
	}
}

var _ module.Module = (*Module)(nil)
