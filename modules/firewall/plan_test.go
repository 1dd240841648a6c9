package firewall

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/nftables"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func decoded(t *testing.T, src string) *Module {
	t.Helper()
	return decodedWith(t, src, nil)
}

// decodedWith links the firewall to an sshd block listening on sshdPorts
// (none when nil).
func decodedWith(t *testing.T, src string, sshdPorts []int) *Module {
	t.Helper()
	m := New()
	moduletest.MustDecode(t, m, src)
	ps := peers{}
	if sshdPorts != nil {
		ps["sshd"] = fakeSSHD{ports: sshdPorts}
	}
	if diags := m.Link(ps); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	m.conn = func(...nftables.ConnOption) (*nftables.Conn, error) {
		t.Error("netlink used")
		return nil, errors.New("no netlink in this test")
	}
	return m
}

// converged is the state after a successful apply of m's profile.
func converged(m *Module) *State { return convergedTo(m, m.Desired()) }

// convergedTo is the state after an apply that loaded and persisted d.
func convergedTo(m *Module, d *Table) *State {
	conf, _ := confWithInclude(nil, false, m.persistPath)
	return &State{Live: d, File: []byte(renderFile(d)), FileExists: true,
		Conf: []byte(conf), ConfExists: true, Enabled: true, Unit: "/lib/systemd/system/" + serviceName}
}

// planOf reads the machine through h and plans.
func planOf(t testing.TB, m *Module, h *host.Host) (module.Plan, *State) {
	t.Helper()
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	return p, st.(*State)
}

func addresses(p module.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Action)+" "+c.Address)
	}
	return out
}

func TestPlanFreshHost(t *testing.T) {
	m := decoded(t, "firewall {}")
	p, err := m.Plan(&State{Foreign: []string{"inet filter", "ip nat"}, Unit: "/lib/systemd/system/" + serviceName})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create firewall.table[inet harden]", "create firewall.file[/etc/nftables.d/harden.nft]",
		"create firewall.file[/etc/nftables.conf]", "update firewall.service[nftables.service]",
	}
	if got := addresses(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Changes[0].After != m.Desired().String() || p.Changes[0].Before != "" {
		t.Error("table change does not carry the desired text")
	}
	if len(p.Notes) != 1 || p.Notes[0] != "other nftables tables, left alone: inet filter, ip nat" {
		t.Errorf("notes: %q", p.Notes)
	}
}

func TestPlanConvergedIsEmpty(t *testing.T) {
	m := decoded(t, "firewall {}")
	p, err := m.Plan(converged(m))
	if err != nil || !p.Empty() {
		t.Fatalf("plan %v, err %v", addresses(p), err)
	}
}

func TestPlanRuleDifference(t *testing.T) {
	m := decoded(t, "firewall {\n  allow_tcp_ports = [8080]\n}")
	st := converged(decoded(t, "firewall {}"))
	st.File = []byte(renderFile(m.Desired())) // only the live table lags
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if got := addresses(p); len(got) != 1 || got[0] != "update firewall.table[inet harden]" {
		t.Fatalf("changes %v", got)
	}
	c := p.Changes[0]
	if strings.Contains(c.Before, "dport 8080") || !strings.Contains(c.After, "\t\ttcp dport 8080 accept\n") {
		t.Errorf("before/after do not show the added rule:\n%s", c.After)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "resets its counters and meters") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestPlanLockoutGuard(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		sshPort   int
		refused   bool
	}{
		{"session port closed", "firewall {\n  ssh_ports = [2222]\n}", 22, true},
		{"session port is the ssh port", "firewall {\n  ssh_ports = [2222]\n}", 2222, false},
		{"session port opened by allow_tcp_ports", "firewall {\n  ssh_ports = [2222]\n  allow_tcp_ports = [22]\n}", 22, false},
		{"explicit override", "firewall {\n  ssh_ports = [2222]\n  allow_operator_lockout = true\n}", 22, false},
		{"not over ssh", "firewall {\n  ssh_ports = [2222]\n}", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := decoded(t, tc.src)
			st := converged(m)
			st.SSHPort = tc.sshPort
			_, err := m.Plan(st)
			if tc.refused != (err != nil) {
				t.Fatalf("err = %v, want refused %v", err, tc.refused)
			}
			if err != nil && (!strings.Contains(err.Error(), "TCP port 22, the port of your SSH session") ||
				!strings.Contains(err.Error(), "allow_operator_lockout = true")) {
				t.Errorf("error does not name the port and the fix: %v", err)
			}
		})
	}
}

func TestPlanUnknownRulesWarn(t *testing.T) {
	m := decoded(t, "firewall {}")
	st := converged(m)
	live := *st.Live
	live.Chains = append([]Chain(nil), live.Chains...)
	live.Chains[1].Rules = []Rule{{Stmts: []Stmt{Unknown{Exprs: "meta cmp masq"}}}}
	st.Live = &live
	p, err := m.Plan(st)
	if err != nil || len(p.Changes) != 1 {
		t.Fatalf("plan %v, err %v", addresses(p), err)
	}
	if w := strings.Join(p.Changes[0].Warnings, "\n"); !strings.Contains(w, "does not understand") {
		t.Errorf("warnings %q", w)
	}
}

func TestConfWithInclude(t *testing.T) {
	debian := "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n}\n"
	got, changed := confWithInclude([]byte(debian), true, persistPath)
	if !changed || got != debian+"\n# harden's firewall table\ninclude \"/etc/nftables.d/harden.nft\"\n" {
		t.Errorf("debian conf:\n%s", got)
	}
	if again, changed := confWithInclude([]byte(got), true, persistPath); changed || again != got {
		t.Error("include added twice")
	}
	glob := "include \"/etc/nftables.d/*.nft\"\n"
	if _, changed := confWithInclude([]byte(glob), true, persistPath); changed {
		t.Error("a glob include covering the file was not recognised")
	}
	if got, _ := confWithInclude([]byte("flush ruleset"), true, persistPath); !strings.HasPrefix(got, "flush ruleset\n\n") {
		t.Errorf("missing newline not added: %q", got)
	}
}

// Offline (-root DIR): plan from the files alone, apply writes them and
// enables the unit; netlink is never touched.
func TestOfflinePlanApplyReplan(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	writeUnit(t, h)
	if err := os.MkdirAll(h.Path("/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	stock, err := os.ReadFile("testdata/debian12-nftables.conf") // begins with flush ruleset
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.Path(confPath), stock, 0o755); err != nil {
		t.Fatal(err)
	}
	m := decoded(t, "firewall {}")
	var checked []byte
	m.check = func(_ context.Context, _ *host.Host, ruleset []byte) error { checked = ruleset; return nil }
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	want := "create firewall.file[/etc/nftables.d/harden.nft] update firewall.file[/etc/nftables.conf] " +
		"update firewall.service[nftables.service]"
	if got := strings.Join(addresses(p), " "); got != want {
		t.Fatalf("offline plan: %s", got)
	}
	if len(p.Notes) != 2 || !strings.HasPrefix(p.Notes[0], "offline root: planned from /etc/nftables.d/harden.nft alone") ||
		!strings.Contains(p.Notes[1], "/etc/nftables.conf begins with `flush ruleset`") ||
		!strings.Contains(p.Notes[1], "only the tables the file defines (inet filter)") {
		t.Errorf("notes %q", p.Notes)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(h.Path(persistPath))
	if err != nil || string(file) != renderFile(m.Desired()) || string(checked) != string(file) {
		t.Fatalf("persisted file (err %v) or checked candidate differ", err)
	}
	conf, _ := os.ReadFile(h.Path(confPath))
	if strings.Contains(string(conf), "\nflush ruleset\n") || !strings.Contains(string(conf), `include "/etc/nftables.d/harden.nft"`) ||
		!strings.Contains(string(conf), "\ntable inet filter\ndelete table inet filter\n\ntable inet filter {\n") {
		t.Errorf("nftables.conf:\n%s", conf)
	}
	if fi, _ := os.Stat(h.Path(persistPath)); fi == nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("persisted file mode %v", fi)
	}
	if !sd.Enabled[serviceName] {
		t.Error("nftables.service not enabled")
	}
	st, err = m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := m.Plan(st); err != nil || !p.Empty() {
		t.Fatalf("second plan %v, err %v", addresses(p), err)
	}
	// The journal undoes the files; the persisted file goes away.
	if err := h.Undo(ctx, h.Journal(), func(context.Context, host.Step) error {
		t.Error("custom undo step without a table change")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.Root(), persistPath)); !os.IsNotExist(err) {
		t.Errorf("persisted file survived undo: %v", err)
	}
	if conf, _ := os.ReadFile(h.Path(confPath)); string(conf) != string(stock) {
		t.Errorf("nftables.conf not restored:\n%s", conf)
	}
}

func TestApplyRefusesABadRuleset(t *testing.T) {
	h, sd := hosttest.New(t)
	writeUnit(t, h)
	m := decoded(t, "firewall {}")
	m.check = func(context.Context, *host.Host, []byte) error { return errors.New("nft: syntax error") }
	st, err := m.Read(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(st)
	if err := m.Apply(context.Background(), h, p); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("apply: %v", err)
	}
	if h.Exists(persistPath) || sd.Enabled[serviceName] || len(h.Journal().Steps()) != 0 {
		t.Error("a change was made before the check failed")
	}
}
