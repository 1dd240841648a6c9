package haproxy

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func TestDecodeDiagnostics(t *testing.T) {
	cases := []struct{ src, want string }{
		{"haproxy {\n  allowed_commands = [\"getNodeInfo\", \"getNodInfo\"]\n}",
			`test.hcl:2,38-50: Invalid value for allowed_commands; allowed_commands: "getNodInfo" is not valid; expected an IRI API command. Did you mean "getNodeInfo"?`},
		{"haproxy {\n  port = 70000\n}",
			`test.hcl:2,10-15: Invalid value for port; port: 70000 is not a TCP port (1-65535).`},
		{"haproxy {\n  heavy_timeout = \"90\"\n}",
			`test.hcl:2,19-23: Invalid value for heavy_timeout; heavy_timeout: "90" is not a duration of at least 1ms (such as "10s", "500ms", "2m").`},
		{"haproxy {\n  heavy_commands = [\"attachToTangle\"]\n}",
			`test.hcl:2,21-37: Invalid value for heavy_commands; heavy_commands: attachToTangle has its own backend (pow_maxconn); leave it out here.`},
		{"haproxy {\n  max_conn_per_ip = -1\n}",
			`test.hcl:2,21-23: Invalid value for max_conn_per_ip; max_conn_per_ip: -1 is negative; 0 turns the limit off.`},
		{"haproxy {\n  trusted_addresses = [\"10.0.0.0/33\"]\n}",
			`test.hcl:2,24-37: Invalid value for trusted_addresses; trusted_addresses: "10.0.0.0/33" is neither an IP address nor a CIDR prefix.`},
		{"haproxy {\n  node = \"localhost\"\n}",
			`test.hcl:2,10-21: Invalid value for node; node: "localhost" is not host:port; expected an IP address or host name and a port, such as "127.0.0.1:14265" or "[::1]:14265".`},
		{"haproxy {\n  node = \"localhost\\n    stats admin if TRUE\\n    server x localhost:14265\"\n}",
			`test.hcl:2,10-76: Invalid value for node; node: "localhost\n    stats admin if TRUE\n    server x localhost:14265" holds a newline (U+000A) at byte 10; expected an IP address or host name and a port, such as "127.0.0.1:14265" or "[::1]:14265".`},
		{"haproxy {\n  node = \"iri#x:14265\"\n}",
			`test.hcl:2,10-23: Invalid value for node; node: "iri#x:14265" holds '#' at byte 4, which starts a comment; expected an IP address or host name and a port, such as "127.0.0.1:14265" or "[::1]:14265".`},
		{"haproxy {\n  node = \"::1:14265\"\n}",
			`test.hcl:2,10-21: Invalid value for node; node: "::1:14265" needs its IPv6 address in brackets, such as [::1]:14265; expected an IP address or host name and a port, such as "127.0.0.1:14265" or "[::1]:14265".`},
		{"haproxy {\n  log = \"/dev/log\\r\\n    stats admin if TRUE\"\n}",
			`test.hcl:2,9-46: Invalid value for log; log: "/dev/log\r\n    stats admin if TRUE" holds a carriage return (U+000D) at byte 9; expected "stdout", "stderr", a socket path such as "/dev/log", or address:port such as "127.0.0.1:514".`},
		{"haproxy {\n  log = \"/dev/log\\u0000\"\n}",
			`test.hcl:2,9-25: Invalid value for log; log: "/dev/log\x00" holds a NUL (U+0000) at byte 9; expected "stdout", "stderr", a socket path such as "/dev/log", or address:port such as "127.0.0.1:514".`},
		{"haproxy {\n  addresses = [\"::\", \"fe80::1%a\\nstats admin if TRUE\"]\n}",
			`test.hcl:2,22-54: Invalid value for addresses; addresses: "fe80::1%a\nstats admin if TRUE" is not an IP address (an address with a zone, %name, is not supported).`},
		{"haproxy {\n  trusted_addresses = [\"fe80::1%x#y\"]\n}",
			`test.hcl:2,24-37: Invalid value for trusted_addresses; trusted_addresses: "fe80::1%x#y" is neither an IP address nor a CIDR prefix (an address with a zone, %name, is not supported).`},
		{"haproxy {\n  log = \"::1\"\n}",
			`test.hcl:2,9-14: Invalid value for log; log: "::1" is not a log target; expected "stdout", "stderr", a socket path such as "/dev/log", or address:port such as "127.0.0.1:514".`},
		{"haproxy {\n  log = \"syslog\"\n}",
			`test.hcl:2,9-17: Invalid value for log; log: "syslog" is not a log target; expected "stdout", "stderr", a socket path such as "/dev/log", or address:port such as "127.0.0.1:514".`},
		{"haproxy {\n  max_body_byte = 10\n}",
			`test.hcl:2,3-16: Unsupported argument; An argument named "max_body_byte" is not expected here. Did you mean "max_body_bytes"?`},
	}
	for _, c := range cases {
		m := Factory.New()
		diags := moduletest.Decode(t, m, c.src, nil)
		if got := diags.Error(); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.src, got, c.want)
		}
	}
}

func TestDecodeNullTakesDefault(t *testing.T) {
	m := Factory.New().(*Module)
	moduletest.MustDecode(t, m, "haproxy {\n  max_conn_per_ip = null\n  rate_period = \"30s\"\n}")
	s := m.Settings()
	if s.MaxConnPerIP != 20 || s.RatePeriod != 30*time.Second || m.PublicPort() != 14267 {
		t.Errorf("settings = %+v", s)
	}
}

func TestLinkRefusesAllowedLimitedCommand(t *testing.T) {
	m := Factory.New().(*Module)
	moduletest.MustDecode(t, m, "haproxy {\n  allowed_commands = [\"getNodeInfo\", \"getNeighbors\"]\n}")
	diags := m.Link(peers{"iri": fakeIRI{limited: defaultRemoteLimitAPI, port: 14265}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `test.hcl:2,22-53: Command allowed by haproxy but limited by iri; allowed_commands: "getNeighbors"`) {
		t.Errorf("diags = %v", diags)
	}
	// A peer that is not an iri module is ignored.
	m2 := Factory.New().(*Module)
	moduletest.MustDecode(t, m2, `haproxy {}`)
	if diags := m2.Link(peers{"iri": Factory.New()}); diags.HasErrors() || m2.Settings().Node != "127.0.0.1:14265" {
		t.Errorf("link with a foreign peer: %v %s", diags, m2.Settings().Node)
	}
}

func TestPlan(t *testing.T) {
	m := decodeVariant(t, variants[0])
	want := Render(m.Settings())
	cases := []struct {
		name    string
		st      State
		changes []string // address action effects
		notes   int
	}{
		{"fresh VPS", State{},
			[]string{"haproxy.package[haproxy] create install haproxy",
				"haproxy.file[/etc/haproxy/haproxy.cfg] create reload haproxy.service",
				"haproxy.unit[haproxy.service] update enable haproxy.service"}, 2},
		{"stock config, running", State{Installed: true, Exists: true, Config: "global\n", Active: "active", Enabled: true, Validator: "/usr/sbin/haproxy"},
			[]string{"haproxy.file[/etc/haproxy/haproxy.cfg] update reload haproxy.service"}, 1},
		{"converged", State{Installed: true, Exists: true, Config: want, Active: "active", Enabled: true}, nil, 0},
		{"converged but stopped", State{Installed: true, Exists: true, Config: want, Active: "inactive", Enabled: true},
			[]string{"haproxy.unit[haproxy.service] update start haproxy.service"}, 0},
		{"offline, not installed", State{Offline: true, Validator: "/usr/sbin/haproxy"},
			[]string{"haproxy.file[/etc/haproxy/haproxy.cfg] create"}, 3},
		{"offline, installed", State{Offline: true, Installed: true, Validator: "/usr/sbin/haproxy"},
			[]string{"haproxy.file[/etc/haproxy/haproxy.cfg] create", "haproxy.unit[haproxy.service] update enable haproxy.service"}, 2},
	}
	for _, c := range cases {
		p, err := m.Plan(c.st)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ch := range p.Changes {
			got = append(got, strings.TrimSpace(ch.Address+" "+string(ch.Action)+" "+strings.Join(ch.Effects, ", ")))
			if ch.Data == doWrite && ch.After != want {
				t.Errorf("%s: file change does not carry the rendered config", c.name)
			}
		}
		if strings.Join(got, "\n") != strings.Join(c.changes, "\n") {
			t.Errorf("%s: changes\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.changes, "\n"))
		}
		if len(p.Notes) != c.notes {
			t.Errorf("%s: notes = %q, want %d", c.name, p.Notes, c.notes)
		}
	}
}

func TestPlanWarnsWeakSettings(t *testing.T) {
	m := decodeVariant(t, variants[2])
	p, err := m.Plan(State{Installed: true, Exists: true, Config: Render(m.Settings()), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"heavy_timeout 1500ms is shorter", "strict_json = false", "no per-address limits"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q: %q", want, p.Warnings)
		}
	}
	if len(decodeVariantWarnings(t)) != 0 {
		t.Error("default settings produce warnings")
	}
}

func decodeVariantWarnings(t *testing.T) []string {
	return decodeVariant(t, variants[0]).warnings()
}

// TestApplyOnTempRoot writes the file through the journal on an offline
// root that has the package's unit, enables it, and plans nothing after.
func TestApplyOnTempRoot(t *testing.T) {
	h, sd := hosttest.New(t)
	unit := filepath.Join(h.Root(), "lib/systemd/system/haproxy.service")
	if err := os.MkdirAll(filepath.Dir(unit), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(unit, []byte("[Service]\nExecStart=/usr/sbin/haproxy\n[Install]\nWantedBy=multi-user.target\n"), 0o644)
	if err := os.MkdirAll(h.Path("/etc/haproxy"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(h.Path(configPath), []byte("global\n    daemon\n"), 0o644)

	m := decodeVariant(t, variants[1])
	ctx := context.Background()
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	// Under a temp root dpkg has no database: planned as offline, not installed.
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Action != module.Update || p.Changes[0].Before != "global\n    daemon\n" {
		t.Fatalf("plan = %+v", p.Changes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(h.Path(configPath))
	if err != nil || string(got) != Render(m.Settings()) {
		t.Fatalf("written config differs (%v)", err)
	}
	if steps := h.Journal().Steps(); len(steps) == 0 || steps[len(steps)-1].Path != configPath {
		t.Errorf("write not journaled: %+v", steps)
	}
	if len(sd.Jobs) != 0 {
		t.Errorf("offline apply ran unit jobs: %v", sd.Jobs)
	}
	st2, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := m.Plan(st2); !p2.Empty() {
		t.Errorf("second plan not empty: %+v", p2.Changes)
	}
}

// TestApplyRefusesInvalidCandidate proves the candidate is checked with the
// real haproxy before it replaces the file.
func TestApplyRefusesInvalidCandidate(t *testing.T) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy)")
	}
	h, _ := hosttest.New(t)
	m := decodeVariant(t, variants[0])
	bad := module.Plan{Changes: []module.Change{{Module: "haproxy", Address: "haproxy.file[" + configPath + "]",
		Action: module.Create, After: "frontend x\n    bind :1\n    no-such-keyword\n", Data: doWrite}}}
	err := m.Apply(context.Background(), h, bad)
	if err == nil || !strings.Contains(err.Error(), "haproxy: validate candidate") {
		t.Fatalf("err = %v", err)
	}
	if h.Exists(configPath) {
		t.Error("an invalid candidate was written")
	}
}

func TestUndoData(t *testing.T) {
	h, _ := hosttest.New(t)
	raw, _ := json.Marshal(installRecord{Purge: "haproxy"})
	// Offline roots get no package operations, so undo is a no-op there.
	if err := (&Module{}).Undo(context.Background(), h, raw); err != nil {
		t.Fatal(err)
	}
	if err := (&Module{}).Undo(context.Background(), h, json.RawMessage(`{`)); err == nil {
		t.Error("undo accepted a torn record")
	}
}

// TestReadsPackageStateFromDpkgDatabase: the installed version comes from
// dpkg's status file under the root, with no process started.
func TestReadsPackageStateFromDpkgDatabase(t *testing.T) {
	for _, tc := range []struct {
		status    string
		installed bool
		version   string
	}{
		{"", false, ""},
		{"Package: haproxy\nStatus: deinstall ok config-files\nVersion: 2.6.12-1\n", false, "2.6.12-1"},
		{"Package: haproxy\nStatus: install ok installed\nVersion: 2.6.12-1+deb12u1\n", true, "2.6.12-1+deb12u1"},
	} {
		h, _ := hosttest.New(t)
		if tc.status != "" {
			if err := os.MkdirAll(h.Path("/var/lib/dpkg"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(h.Path("/var/lib/dpkg/status"), []byte(tc.status), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		st, err := decodeVariant(t, variants[1]).Read(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		got := st.(State)
		if got.Installed != tc.installed || got.Version != tc.version {
			t.Errorf("status %q: installed=%v version=%q; want %v %q", tc.status, got.Installed, got.Version,
				tc.installed, tc.version)
		}
	}
}
