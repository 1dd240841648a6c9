package sshd

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// A fresh cloud image of each Debian release: the plan, and the hardened
// sshd_config, are golden files; the algorithm lists are the release's.
func TestPlanStockCloudImageGolden(t *testing.T) {
	for _, release := range []int{12, 13} {
		t.Run(fmt.Sprintf("debian%d", release), func(t *testing.T) {
			h, _ := newRoot(t, debianImage(t, release))
			m := New()
			m.validatorStatus = debian12Status // the machine harden runs on
			p := mustPlan(t, m, readState(t, m, h))
			moduletest.Golden(t, fmt.Sprintf("plan_debian%d_cloudinit.txt", release), []byte(planText(p, h.Root())))
			file := findChange(t, p, "sshd.file["+configPath+"]")
			hardened := fmt.Sprintf("debian%d_sshd_config.hardened", release)
			moduletest.Golden(t, hardened, []byte(file.After))
			pw := findChange(t, p, "sshd.setting[PasswordAuthentication]")
			if pw.Fields[1].Before != "/etc/ssh/sshd_config.d/50-cloud-init.conf:1" {
				t.Errorf("PasswordAuthentication source = %q, want the cloud-init drop-in", pw.Fields[1].Before)
			}
			if len(pw.Warnings) != 1 || !strings.Contains(pw.Warnings[0], "50-cloud-init.conf:1") {
				t.Errorf("the drop-in conflict is not explained: %v", pw.Warnings)
			}
		})
	}
}

// The offline computation must agree with what the real sshd of each
// release printed for its stock file (testdata/debianN_sshd_T.txt is
// `sshd -T -f` of it: Debian 12's 9.2p1, Debian 13's 10.0p1).
func TestEffectiveFromFilesMatchesSSHDT(t *testing.T) {
	for _, release := range []int{12, 13} {
		image := debianImage(t, release)
		delete(image, "/etc/ssh/sshd_config.d/50-cloud-init.conf")
		h, _ := newRoot(t, image)
		st := readState(t, New(), h)
		dump := parseDump(readTestdata(t, fmt.Sprintf("debian%d_sshd_T.txt", release)))
		for key, e := range st.Effective {
			live := dump[key]
			if !printedByT(key) {
				continue
			}
			if !sameValues(key, live, e.Values) {
				t.Errorf("debian %d: %s: files say %v, sshd -T says %v", release, key, e.Values, live)
			}
		}
		before := st.Effective["x11forwarding"]
		st.mergeDump(dump)
		if !reflect.DeepEqual(st.Effective["x11forwarding"], before) {
			t.Errorf("merging agreeing sshd -T output lost the source: %+v", st.Effective["x11forwarding"])
		}
	}
}

func TestMergeDumpPrefersLiveValues(t *testing.T) {
	h, _ := newRoot(t, map[string]string{configPath: "PasswordAuthentication no\nAllowUsers a b\n"})
	st := readState(t, New(), h)
	st.mergeDump(parseDump("passwordauthentication yes\nallowusers a\nallowusers c\nport 22\n"))
	if e := st.Effective["passwordauthentication"]; e.Values[0] != "yes" || e.Source != "sshd -T" {
		t.Errorf("PasswordAuthentication = %+v, want sshd -T's yes", e)
	}
	if e := st.Effective["allowusers"]; !reflect.DeepEqual(e.Values, []string{"a", "c"}) {
		t.Errorf("AllowUsers = %+v", e)
	}
}

func TestPlanTable(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		profile string
		live    func(st *State) // turn the offline state into a live one
		socket  bool            // ssh.socket enabled
		// addresses expected in the plan, in order
		want     []string
		effects  map[string][]string
		warnings map[string]string // address → a warning substring
	}{
		{
			name:    "all unmanaged, stock file: nothing to do",
			files:   map[string]string{configPath: readTestdata(t, "debian12_sshd_config")},
			profile: allNull(),
		},
		{
			name:    "one setting, live service: reload",
			files:   map[string]string{configPath: "UsePAM yes\n"},
			profile: allNull() + "sshd {\n  permit_root_login = false\n}\n",
			live:    func(st *State) { st.Offline, st.ServiceActive = false, true },
			want:    []string{"sshd.setting[PermitRootLogin]", "sshd.file[/etc/ssh/sshd_config]"},
			effects: map[string][]string{"sshd.file[/etc/ssh/sshd_config]": {"reload ssh.service"}},
		},
		{
			name:    "service stopped: no reload",
			files:   map[string]string{configPath: "UsePAM yes\n"},
			profile: allNull() + "sshd {\n  permit_root_login = false\n}\n",
			live:    func(st *State) { st.Offline, st.ServiceActive = false, false },
			want:    []string{"sshd.setting[PermitRootLogin]", "sshd.file[/etc/ssh/sshd_config]"},
		},
		{
			name: "drop-in adds a port",
			files: map[string]string{configPath: "Include /etc/ssh/sshd_config.d/*.conf\n",
				"/etc/ssh/sshd_config.d/10-extra.conf": "Port 2222\n"},
			profile:  allNull() + "sshd {\n  port = 2200\n}\n",
			want:     []string{"sshd.setting[Port]", "sshd.file[/etc/ssh/sshd_config]", "sshd.file[/etc/ssh/sshd_config.d/10-extra.conf]"},
			warnings: map[string]string{"sshd.setting[Port]": `10-extra.conf:1: "Port 2222" is turned off`},
		},
		{
			name:     "match block is explained, not touched",
			files:    map[string]string{configPath: "Match User backup\n  PasswordAuthentication yes\n"},
			profile:  allNull() + "sshd {\n  password_authentication = false\n}\n",
			want:     []string{"sshd.setting[PasswordAuthentication]", "sshd.file[/etc/ssh/sshd_config]"},
			warnings: map[string]string{"sshd.setting[PasswordAuthentication]": "inside a Match block"},
		},
		{
			name:    "allow_users = [] removes a restriction",
			files:   map[string]string{configPath: "AllowUsers bob\n"},
			profile: allNull() + "sshd {\n  allow_users = []\n}\n",
			want:    []string{"sshd.setting[AllowUsers]", "sshd.file[/etc/ssh/sshd_config]"},
		},
		{
			name: "socket activation moves the port in a drop-in",
			files: map[string]string{configPath: "UsePAM yes\n",
				"/lib/systemd/system/ssh.socket": "[Socket]\nListenStream=0.0.0.0:22\nListenStream=[::]:22\nBindIPv6Only=ipv6-only\n",
			},
			socket:  true,
			profile: allNull() + "sshd {\n  port = 2200\n}\n",
			live:    func(st *State) { st.Offline, st.ServiceActive = false, true },
			want:    []string{"sshd.setting[Port]", "sshd.file[/etc/ssh/sshd_config]", "sshd.file[" + socketDropInPath + "]"},
			effects: map[string][]string{
				"sshd.file[/etc/ssh/sshd_config]":     {"restart ssh.service"},
				"sshd.file[" + socketDropInPath + "]": {"daemon-reload", "restart ssh.socket (with ssh.service)"},
			},
		},
		{
			// A socket-activated sshd dies on SIGHUP (it cannot bind the
			// sockets systemd holds): it is restarted, never reloaded.
			name: "socket activation, a setting only: restart, not reload",
			files: map[string]string{configPath: "UsePAM yes\n",
				"/usr/lib/systemd/system/ssh.socket": "[Socket]\nListenStream=22\nAccept=no\n",
			},
			socket:  true,
			profile: allNull() + "sshd {\n  permit_root_login = false\n}\n",
			live:    func(st *State) { st.Offline, st.ServiceActive = false, true },
			want:    []string{"sshd.setting[PermitRootLogin]", "sshd.file[/etc/ssh/sshd_config]"},
			effects: map[string][]string{"sshd.file[/etc/ssh/sshd_config]": {"restart ssh.service"}},
		},
		{
			name: "socket activation already on the port",
			files: map[string]string{configPath: "Port 2200\n",
				"/lib/systemd/system/ssh.socket":                 "[Socket]\nListenStream=0.0.0.0:22\n",
				"/etc/systemd/system/ssh.socket.d/override.conf": "[Socket]\nListenStream=\nListenStream=2200\n",
			},
			socket:  true,
			profile: allNull() + "sshd {\n  port = 2200\n}\n",
			want:    []string{"sshd.file[/etc/ssh/sshd_config]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, sd := newRoot(t, tt.files)
			sd.Enabled = map[string]bool{socketUnit: tt.socket}
			m := decodeAll(t, tt.profile)
			st := readState(t, m, h)
			if tt.live != nil {
				tt.live(st)
			}
			p := mustPlan(t, m, st)
			var got []string
			for _, c := range p.Changes {
				got = append(got, c.Address)
				if want := tt.effects[c.Address]; !reflect.DeepEqual(c.Effects, want) && (len(want) > 0 || len(c.Effects) > 0) {
					t.Errorf("%s effects = %v, want %v", c.Address, c.Effects, want)
				}
				if w, ok := tt.warnings[c.Address]; ok && !strings.Contains(strings.Join(c.Warnings, "\n"), w) {
					t.Errorf("%s warnings %q lack %q", c.Address, c.Warnings, w)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes = %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestPlanConvergedIsEmpty(t *testing.T) {
	h, _ := newRoot(t, stockFiles(t))
	m := New()
	m.validator = (&recordingValidator{}).check
	p := mustPlan(t, m, readState(t, m, h))
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	if p2 := mustPlan(t, m, readState(t, m, h)); !p2.Empty() {
		t.Errorf("second plan not empty:\n%s", planText(p2, h.Root()))
	}
}

// allNull is a profile leaving every setting unmanaged.
func allNull() string {
	var b strings.Builder
	b.WriteString("sshd {\n")
	for _, s := range settings {
		b.WriteString("  " + s.attr + " = null\n")
	}
	b.WriteString("  file_modes = null\n  moduli_min_bits = null\n")
	return b.String() + "}\n"
}

// decodeAll decodes one or more sshd blocks into one module, later blocks
// overriding earlier attributes (a test convenience, not profile syntax).
func decodeAll(t *testing.T, src string) *Module {
	t.Helper()
	want := map[string][]string{}
	var first *Module
	blocks := strings.SplitAfter(src, "}\n")
	for i, b := range blocks {
		if strings.TrimSpace(b) == "" {
			continue
		}
		m := New()
		if d := decodeSrc(t, m, b); d != "" {
			t.Fatal(d)
		}
		if i == 0 {
			want, first = m.want, m
			continue
		}
		for _, s := range settings {
			key := strings.ToLower(s.keyword)
			if strings.Contains(b, s.attr+" ") {
				if v, ok := m.want[key]; ok {
					want[key] = v
				} else {
					delete(want, key)
				}
			}
		}
	}
	m := New()
	m.want = want
	if first != nil {
		m.fileModes, m.moduliMinBits = first.fileModes, first.moduliMinBits
	}
	return m
}

func findChange(t *testing.T, p module.Plan, addr string) module.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Address == addr {
			return c
		}
	}
	t.Fatalf("no change %s in plan", addr)
	return module.Change{}
}

// OpenSSH 10.4 and later print `sshd -T` keywords in their documented
// case ("KexAlgorithms", "PasswordAuthentication"); testdata has the dump
// of Debian's 10.6p1 on an empty config.
func TestParseDumpMixedCaseKeywords(t *testing.T) {
	dump := parseDump(readTestdata(t, "openssh/10.6p1-1_sshd_T.txt"))
	if got := dump["passwordauthentication"]; !reflect.DeepEqual(got, []string{"yes"}) {
		t.Errorf("passwordauthentication = %q, want [yes]", got)
	}
	if got := dump["kexalgorithms"]; len(got) != 1 || !strings.HasPrefix(got[0], "mlkem768x25519-sha256,") {
		t.Errorf("kexalgorithms = %q, want 10.6's default list", got)
	}
	h, _ := newRoot(t, map[string]string{configPath: "PasswordAuthentication no\n"})
	st := readState(t, New(), h)
	st.mergeDump(dump)
	if e := st.Effective["passwordauthentication"]; e.Values[0] != "yes" || e.Source != "sshd -T" {
		t.Errorf("PasswordAuthentication = %+v, want sshd -T's yes", e)
	}
}

// validate accepts any release's names; the plan refuses those the
// installed OpenSSH does not know, pointing at the profile and naming both
// releases.
func TestPlanRefusesNamesTheInstalledReleaseLacks(t *testing.T) {
	profile := "sshd {\n  kex_algorithms = [\"curve25519-sha256\", \"mlkem768x25519-sha256\"]\n}\n"
	tests := []struct {
		release int
		err     string
	}{
		{12, `sshd: test.hcl:2:42: kex_algorithms: "mlkem768x25519-sha256" is not known to OpenSSH 9.2 ` +
			`(Debian 12's build since 1:9.2p1-2+deb12u4), installed as openssh-server 1:9.2p1-2+deb12u10; ` +
			`it is in OpenSSH 9.9 and later. Remove it from the profile, or upgrade openssh-server`},
		{13, ""},
	}
	for _, tt := range tests {
		h, _ := newRoot(t, debianImage(t, tt.release))
		m := New()
		if d := decodeSrc(t, m, profile); d != "" {
			t.Fatal(d)
		}
		p, err := m.Plan(readState(t, m, h))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("debian %d: error\n got %v\nwant %s", tt.release, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("debian %d: %v", tt.release, err)
		}
		kex := findChange(t, p, "sshd.setting[KexAlgorithms]")
		if kex.Fields[0].After != "curve25519-sha256,mlkem768x25519-sha256" {
			t.Errorf("debian %d: KexAlgorithms -> %q, want the profile's list", tt.release, kex.Fields[0].After)
		}
	}
}
