package user

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/internal/accounts"
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
		{"bad name", "user \"Iri\" {}", `user "Iri": a user name is 1 to 32 characters of a-z, 0-9, _ and -, starting with a letter or _.`, 1, 6},
		{"uid zero", "user \"iri\" {\n  uid = 0\n}", `uid: "0" is not valid; expected a number from 1 to 65533 (0 is root, 65534 is nobody).`, 2, 9},
		{"gid nobody", "user \"iri\" {\n  gid = 65534\n}", `gid: "65534" is not valid; expected a number from 1 to 65533 (0 is root, 65534 is nobody).`, 2, 9},
		{"world-writable data", "user \"iri\" {\n  data_mode = \"0777\"\n}", `data_mode: "0777" is not valid; expected a mode without write permission for others.`, 2, 15},
		{"not octal", "user \"iri\" {\n  data_mode = \"750x\"\n}", `data_mode: "750x" is not valid; expected an octal permission mode such as "0750".`, 2, 15},
		{"relative home", "user \"iri\" {\n  home = \"var/lib/iri\"\n}", `home: "var/lib/iri" is not valid; expected an absolute, clean path.`, 2, 10},
		{"unit without suffix", "user \"iri\" {\n  unit = \"iri\"\n}", `unit: "iri" is not valid; expected a systemd unit name such as "iri.service".`, 2, 10},
		{"run as user without unit", "user \"iri\" {\n  run_unit_as_user = true\n}", `run_unit_as_user: set unit (the node's systemd unit, such as "iri.service") to run it as this user.`, 2, 22},
		{"data under /home with sandbox", "user \"iri\" {\n  data_dir = \"/home/iri\"\n  unit = \"iri.service\"\n  run_unit_as_user = true\n}",
			`data_dir: "/home/iri" is not valid; expected a directory outside /home and /root (the drop-in sets ProtectHome=yes, which hides them from the node).`, 2, 14},
		{"relative private dir", "user \"iota\" {\n  private_dirs = [\"/opt/iota/key-pairs\", \"key-pairs\"]\n}",
			`private_dirs: "key-pairs" is not valid; expected an absolute, clean path such as "/opt/iota/key-pairs".`, 2, 42},
		{"private dir twice", "user \"iota\" {\n  private_dirs = [\"/opt/iota/k\", \"/opt/iota/k\"]\n}",
			`private_dirs: /opt/iota/k is listed twice.`, 2, 34},
		{"unknown attribute", "user \"iri\" {\n  shel = \"/bin/sh\"\n}", `An argument named "shel" is not expected here. Did you mean "shell"?`, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := moduletest.Decode(t, &Module{}, tt.src, nil)
			moduletest.WantOneDiag(t, diags, tt.detail, tt.line, tt.col)
		})
	}
}

func TestDecodeDefaults(t *testing.T) {
	m := decode(t, "user \"iri\" {}")
	want := Config{Name: "iri", Group: "iri", UID: -1, GID: -1, Home: "/var/lib/iri", Shell: "/usr/sbin/nologin",
		CreateHome: "/var/lib/iri", CreateShell: "/usr/sbin/nologin", DataDir: "/var/lib/iri", DataMode: 0o750}
	if !reflect.DeepEqual(m.cfg, want) || m.Name() != "user.iri" {
		t.Errorf("defaults %+v", m.cfg)
	}
	m = decode(t, "user \"iri\" {\n  shell = null\n  home = null\n  data_dir = null\n}")
	if m.cfg.Shell != "" || m.cfg.Home != "" || m.cfg.DataDir != "" || m.cfg.CreateHome != "/var/lib/iri" || m.cfg.CreateShell != "/usr/sbin/nologin" {
		t.Errorf("null did not unmanage: %+v", m.cfg)
	}
}

const (
	basePasswd = "root:x:0:0:root:/root:/bin/bash\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	baseGroup  = "root:x:0:\nadm:x:4:\nnogroup:x:65534:\n"
	baseShadow = "root:$y$j9T$abc:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n"
)

func db(t *testing.T, passwd, group, shadow string) *accounts.DB {
	t.Helper()
	files := map[string]string{"/etc/passwd": basePasswd + passwd, "/etc/group": baseGroup + group, "/etc/shadow": baseShadow + shadow}
	d, err := accounts.Read(func(p string) ([]byte, error) { return []byte(files[p]), nil })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPlan(t *testing.T) {
	iriUser := "iri:x:990:990::/var/lib/iri:/usr/sbin/nologin\n"
	iriGroup := "iri:x:990:\n"
	iriShadow := "iri:!:19000::::::\n"
	dir := &host.FileMeta{Mode: 0o750, UID: 990, GID: 990}
	tests := []struct {
		name                  string
		src                   string
		passwd, group, shadow string
		dir                   *host.FileMeta
		dropIn                string
		active                string
		want                  []string // "address action field,field"
		err                   string
	}{
		{name: "fresh machine", want: []string{
			"user.iri.group[iri] create gid", "user.iri.account[iri] create uid,group,home,shell,password", "user.iri.dir[/var/lib/iri] create owner,mode"}},
		{name: "converged", passwd: iriUser, group: iriGroup, shadow: iriShadow, dir: dir},
		{name: "existing group is reused", group: iriGroup, want: []string{
			"user.iri.account[iri] create uid,group,home,shell,password", "user.iri.dir[/var/lib/iri] create owner,mode"}},
		{name: "shell and home differ: update, not recreate", passwd: "iri:x:990:990::/home/iri:/bin/bash\n", group: iriGroup, shadow: iriShadow, dir: dir,
			want: []string{"user.iri.account[iri] update home,shell"}},
		{name: "unmanaged shell is left alone", src: "user \"iri\" {\n  shell = null\n}", passwd: "iri:x:990:990::/var/lib/iri:/bin/bash\n",
			group: iriGroup, shadow: iriShadow, dir: dir},
		{name: "usable password gets locked", passwd: iriUser, group: iriGroup, shadow: "iri:$y$j9T$hash:19000::::::\n", dir: dir,
			want: []string{"user.iri.account[iri] update password"}},
		{name: "other primary group", passwd: "iri:x:990:0::/var/lib/iri:/usr/sbin/nologin\n", group: iriGroup, shadow: iriShadow, dir: dir,
			want: []string{"user.iri.account[iri] update group"}},
		{name: "data dir owned by root, loose mode", passwd: iriUser, group: iriGroup, shadow: iriShadow, dir: &host.FileMeta{Mode: 0o755},
			want: []string{"user.iri.dir[/var/lib/iri] update owner,mode"}},
		{name: "uid collision", src: "user \"iri\" {\n  uid = 42\n}",
			err: "user.iri: uid 42 for user iri is already taken by user _apt: choose another uid or drop uid from the profile"},
		{name: "gid collision", src: "user \"iri\" {\n  gid = 4\n}",
			err: "user.iri: gid 4 for group iri is already taken by group adm: choose another gid or drop gid from the profile"},
		{name: "existing user with another uid", src: "user \"iri\" {\n  uid = 991\n}", passwd: iriUser, group: iriGroup, shadow: iriShadow, dir: dir,
			err: "user.iri: user iri exists with uid 990 but the profile asks for uid 991; harden does not renumber accounts (files keep the old uid): change it by hand or drop uid from the profile"},
		{name: "drop-in created", src: sandboxed, passwd: iriUser, group: iriGroup, shadow: iriShadow, dir: dir,
			want: []string{"user.iri.file[/etc/systemd/system/iri.service.d/harden-user.conf] create"}},
		{name: "drop-in removed when turned off", src: "user \"iri\" {\n  unit = \"iri.service\"\n}", passwd: iriUser, group: iriGroup, shadow: iriShadow, dir: dir,
			dropIn: "[Service]\nUser=iri\n", want: []string{"user.iri.file[/etc/systemd/system/iri.service.d/harden-user.conf] delete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == "" {
				src = "user \"iri\" {}"
			}
			m := decode(t, src)
			st := &State{DB: db(t, tt.passwd, tt.group, tt.shadow), DataDir: tt.dir, UnitActive: tt.active}
			if tt.dropIn != "" {
				st.DropIn = []byte(tt.dropIn)
			}
			p, err := m.Plan(st)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range p.Changes {
				var names []string
				for _, f := range ch.Fields {
					names = append(names, f.Name)
				}
				got = append(got, strings.TrimSpace(ch.Address+" "+string(ch.Action)+" "+strings.Join(names, ",")))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A running node's user keeps its home (usermod refuses to move it while
// the user has processes); the rest of the account still converges, and
// the plan says why and what to do.
func TestPlanBusyUserKeepsHome(t *testing.T) {
	m := decode(t, "user \"iota\" {\n  home = \"/opt/iota\"\n  data_dir = null\n}")
	st := &State{DB: db(t, "iota:x:1001:1001::/home/iota:/bin/sh\n", "iota:x:1001:\n", "iota:!:19000::::::\n"), Busy: []int{99, 120}}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || len(p.Changes[0].Fields) != 1 || p.Changes[0].Fields[0].Name != "shell" || p.Changes[0].Data.(userMod).Home != "" {
		t.Fatalf("changes %+v, want only the shell", p.Changes)
	}
	want := "user iota has running processes (pids 99, 120): usermod cannot move its home while they run, so it stays /home/iota; " +
		"stop them (the node's unit) and apply again to move it to /opt/iota"
	if len(p.Warnings) != 1 || p.Warnings[0] != want {
		t.Errorf("warnings %q\nwant %q", p.Warnings, want)
	}
}

const sandboxed = "user \"iri\" {\n  unit = \"iri.service\"\n  run_unit_as_user = true\n  restart = true\n}"

func TestPlanDropInEffects(t *testing.T) {
	m := decode(t, sandboxed)
	base := func() *State {
		return &State{DB: db(t, "iri:x:990:990::/var/lib/iri:/usr/sbin/nologin\n", "iri:x:990:\n", "iri:!:1::::::\n"),
			DataDir: &host.FileMeta{Mode: 0o750, UID: 990, GID: 990}}
	}
	st := base()
	st.UnitActive = "active"
	p, _ := m.Plan(st)
	if len(p.Changes) != 1 || !slices.Equal(p.Changes[0].Effects, []string{"daemon-reload", "restart iri.service"}) {
		t.Errorf("running unit, restart allowed: %+v", p.Changes)
	}
	st.Offline = true
	p, _ = m.Plan(st)
	if !slices.Equal(p.Changes[0].Effects, []string{"daemon-reload"}) || len(p.Notes) != 1 {
		t.Errorf("offline: %+v %q", p.Changes[0].Effects, p.Notes)
	}
	noRestart := decode(t, strings.Replace(sandboxed, "restart = true", "restart = false", 1))
	st = base()
	st.UnitActive = "active"
	p, _ = noRestart.Plan(st)
	if !slices.Equal(p.Changes[0].Effects, []string{"daemon-reload"}) || len(p.Changes[0].Warnings) != 1 {
		t.Errorf("restart = false: %+v", p.Changes[0])
	}
	st = base()
	st.DropIn = m.cfg.DropIn()
	if p, _ = m.Plan(st); !p.Empty() {
		t.Errorf("drop-in in place, plan %+v", p.Changes)
	}
	st.ForeignEntries = 3
	if p, _ = m.Plan(st); len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "3 entries are directly under /var/lib/iri not owned by iri") {
		t.Errorf("foreign entries: %q", p.Warnings)
	}
}

func TestDropInGolden(t *testing.T) {
	got := decode(t, sandboxed).cfg.DropIn()
	moduletest.Golden(t, "harden-user.conf.golden", got)
	opts, err := unitdropin.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"User": "iri", "Group": "iri", "ProtectSystem": "full", "NoNewPrivileges": "yes"} {
		if v, _ := unitdropin.Value(opts, "Service", name); v != want {
			t.Errorf("%s=%q, want %q", name, v, want)
		}
	}
}

// TestApplyFilesAndUndo applies the host-side part (data directory and
// drop-in) for an account that already exists; creating accounts needs
// useradd as root and lives in the root tier.
func TestApplyFilesAndUndo(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	writeAccounts(t, h, "iri:x:990:990::/var/lib/iri:/usr/sbin/nologin\n", "iri:x:990:\n", "iri:!:1::::::\n")
	m := decode(t, sandboxed)
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil || len(p.Changes) != 2 {
		t.Fatalf("plan %v: %+v", err, p.Changes)
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
	meta, err := h.Meta("/var/lib/iri")
	if err != nil || meta.Mode != 0o750 {
		t.Fatalf("data dir %+v %v", meta, err)
	}
	if os.Geteuid() == 0 && (meta.UID != 990 || meta.GID != 990) {
		t.Errorf("data dir owner %d:%d", meta.UID, meta.GID)
	}
	if !slices.Equal(sd.Jobs, []string{"daemon-reload"}) {
		t.Errorf("jobs %v (offline: no restart)", sd.Jobs)
	}
	if os.Geteuid() == 0 {
		st2, _ := m.Read(ctx, h)
		if p2, _ := m.Plan(st2); !p2.Empty() {
			t.Errorf("second plan %+v", p2.Changes)
		}
	}
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/var/lib/iri", unitdropin.Path("iri.service", DropInName), "/etc/systemd/system/iri.service.d"} {
		if h.Exists(p) {
			t.Errorf("undo left %s", p)
		}
	}
}

func TestUndoDataRoundTrip(t *testing.T) {
	in := undoData{Op: opUserdel, Name: "iri", KeepGroup: &accounts.Group{Name: "iri", GID: 990}}
	raw, _ := json.Marshal(in)
	var out undoData
	if err := json.Unmarshal(raw, &out); err != nil || out.Op != in.Op || *out.KeepGroup != *in.KeepGroup {
		t.Errorf("round trip %s → %+v", raw, out)
	}
	err := (&Module{}).Undo(context.Background(), host.New(host.Options{Root: t.TempDir()}), json.RawMessage(`{"op":"chown"}`))
	if err == nil {
		t.Error("unknown undo op accepted")
	}
}

var _ module.Undoer = (*Module)(nil)

// Key pairs live in a private directory: created as the user's with mode
// 0700, a loose one tightened, a converged one left alone.
func TestPlanPrivateDirs(t *testing.T) {
	const src = "user \"iota\" {\n  data_dir = \"/opt/iota\"\n  private_dirs = [\"/opt/iota/key-pairs\"]\n}"
	user, group, shadow := "iota:x:991:991::/var/lib/iota:/usr/sbin/nologin\n", "iota:x:991:\n", "iota:!:19000::::::\n"
	data := &host.FileMeta{Mode: 0o750, UID: 991, GID: 991}
	tests := []struct {
		name string
		have *host.FileMeta
		want string
	}{
		{"missing", nil, "user.iota.dir[/opt/iota/key-pairs] create owner=iota:iota mode=0700"},
		{"readable by the group, owned by root", &host.FileMeta{Mode: 0o750}, "user.iota.dir[/opt/iota/key-pairs] update owner=iota:iota mode=0700"},
		{"converged", &host.FileMeta{Mode: 0o700, UID: 991, GID: 991}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode(t, src)
			st := &State{DB: db(t, user, group, shadow), DataDir: data, PrivateDirs: map[string]*host.FileMeta{}}
			if tt.have != nil {
				st.PrivateDirs["/opt/iota/key-pairs"] = tt.have
			}
			p, err := m.Plan(st)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range p.Changes {
				line := ch.Address + " " + string(ch.Action)
				for _, f := range ch.Fields {
					line += " " + f.Name + "=" + f.After
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != tt.want {
				t.Errorf("changes %q, want %q", got, tt.want)
			}
		})
	}
}

// A private directory is made under the data directory with mode 0700 and
// removed again by undo.
func TestApplyPrivateDir(t *testing.T) {
	h, _ := hosttest.New(t)
	writeAccounts(t, h, "iota:x:991:991::/opt/iota:/usr/sbin/nologin\n", "iota:x:991:\n", "iota:!:1::::::\n")
	moduletest.Apply(t, decode(t, "user \"iota\" {\n  home = \"/opt/iota\"\n  private_dirs = [\"/opt/iota/key-pairs\"]\n}"), h)
	meta, err := h.Meta("/opt/iota/key-pairs")
	if err != nil || meta.Mode != 0o700 {
		t.Fatalf("key pairs directory %+v %v", meta, err)
	}
	if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if h.Exists("/opt/iota/key-pairs") || h.Exists("/opt/iota") {
		t.Errorf("undo left the directories")
	}
}

// writeAccounts puts account databases with the given extra lines under
// the host's root.
func writeAccounts(t *testing.T, h *host.Host, passwd, group, shadow string) {
	t.Helper()
	for p, data := range map[string]string{
		"/etc/passwd": basePasswd + passwd, "/etc/group": baseGroup + group, "/etc/shadow": baseShadow + shadow,
	} {
		os.MkdirAll(filepath.Dir(h.Path(p)), 0o755)
		if err := os.WriteFile(h.Path(p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
