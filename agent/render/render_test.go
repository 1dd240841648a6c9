package render_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"harden/agent/plan"
	"harden/agent/render"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

// samplePlan is a plan of the shapes every module produces: settings,
// a file diff, effects, warnings, notes.
func samplePlan() *plan.Plan {
	return plan.New("1.2.3", "builtin:iri-node", "/", []plan.Module{
		{Name: "user.iri", Plan: module.Plan{Changes: []module.Change{{
			Module: "user.iri", Address: "user.iri.account[iri]", Action: module.Create,
			Fields: []module.Field{
				{Name: "home", After: "/var/lib/iri", BeforeUnset: true},
				{Name: "shell", After: "/usr/sbin/nologin", BeforeUnset: true},
			},
		}}}},
		{Name: "firewall", Plan: module.Plan{Notes: []string{"foreign tables left alone: ip filter"}}},
		{Name: "sshd", Plan: module.Plan{
			Changes: []module.Change{
				{Module: "sshd", Address: "sshd.setting[PasswordAuthentication]", Action: module.Update,
					Fields: []module.Field{{Name: "PasswordAuthentication", Before: "yes", After: "no"}}},
				{Module: "sshd", Address: "sshd.setting[Banner]", Action: module.Delete,
					Fields: []module.Field{{Name: "Banner", Before: "/etc/issue.net", AfterUnset: true}}},
				{Module: "sshd", Address: "sshd.file[/etc/ssh/sshd_config]", Action: module.Update,
					Before:   "# comment\nPort 22\nUsePAM yes\n",
					After:    "# comment\nPort 2222\nUsePAM yes\n",
					Effects:  []string{"reload ssh.service"},
					Warnings: []string{"/etc/ssh/sshd_config.d/50-cloud-init.conf:1 sets PasswordAuthentication yes; overridden"}},
			},
			Warnings: []string{"password login stays on for user bob"},
		}},
	})
}

func TestTextGolden(t *testing.T) {
	for _, tt := range []struct {
		golden string
		opts   render.Options
	}{
		{"plan.txt", render.Options{DiffHint: "harden plan -diff"}},
		{"plan-color.txt", render.Options{Color: true, Width: 80, DiffHint: "harden plan -diff"}},
		{"plan-diff.txt", render.Options{Diff: true}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.opts.Text(&buf, samplePlan()); err != nil {
				t.Fatal(err)
			}
			moduletest.Golden(t, tt.golden, buf.Bytes())
			if colored := strings.Contains(buf.String(), "\x1b["); colored != tt.opts.Color {
				t.Errorf("escape sequences in the text: %v, want %v", colored, tt.opts.Color)
			}
		})
	}
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := render.JSON(&buf, samplePlan()); err != nil {
		t.Fatal(err)
	}
	moduletest.Golden(t, "plan.json", buf.Bytes())
	var back plan.Plan
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.FormatVersion != plan.FormatVersion || back.Summary.Total() != 4 || len(back.Modules[2].Changes) != 3 {
		t.Errorf("round trip lost data: %+v", back.Summary)
	}
}

func TestEmptyPlan(t *testing.T) {
	var buf bytes.Buffer
	p := plan.New("1", "p.hcl", "/mnt/img", []plan.Module{{Name: "sshd"}})
	if err := render.Text(&buf, p); err != nil {
		t.Fatal(err)
	}
	moduletest.Golden(t, "empty.txt", buf.Bytes())
}

// Drift shows values: each difference on one line with the machine's value
// and the profile's, a text change by its size, a risk by its message.
func TestDriftLines(t *testing.T) {
	p := samplePlan()
	p.Modules[2].Risks = []module.Risk{{Address: "sshd.match[User bob]", Message: "turns password login back on"}}
	got := strings.Join(render.DriftLines(p), "\n")
	want := `+ user.iri.account[iri]: home = "/var/lib/iri", shell = "/usr/sbin/nologin"
~ sshd.setting[PasswordAuthentication]: "yes" -> "no"
- sshd.setting[Banner]: "/etc/issue.net" -> (unset)
~ sshd.file[/etc/ssh/sshd_config]: (+1 -1 lines)
sshd.match[User bob]: turns password login back on`
	if got != want {
		t.Errorf("drift lines:\n%s\nwant:\n%s", got, want)
	}
	var buf bytes.Buffer
	if err := (render.Options{DiffHint: "harden plan -diff"}).Drift(&buf, p); err != nil {
		t.Fatal(err)
	}
	moduletest.Golden(t, "drift.txt", buf.Bytes())
}

// A long space-separated value (HostKey's paths) reads as a list too; a
// short one ("22" -> "2222 22") stays whole.
func TestSpaceSeparatedLists(t *testing.T) {
	p := plan.New("1", "p", "/", []plan.Module{{Name: "sshd", Plan: module.Plan{Changes: []module.Change{
		{Address: "sshd.setting[HostKey]", Action: module.Update, Fields: []module.Field{{Name: "HostKey",
			Before: "/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key",
			After:  "/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_rsa_key"}}},
		{Address: "sshd.setting[Port]", Action: module.Update, Fields: []module.Field{{Name: "Port", Before: "22", After: "2222 22"}}},
	}}}})
	var buf bytes.Buffer
	if err := render.Text(&buf, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sshd.setting[HostKey]  1 removed, 2 kept in a new order\n      - /etc/ssh/ssh_host_ecdsa_key\n",
		`sshd.setting[Port]     "22" -> "2222 22"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, buf.String())
		}
	}
}
