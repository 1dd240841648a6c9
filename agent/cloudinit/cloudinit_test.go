package cloudinit

import (
	"bytes"
	"encoding/base64"
	"harden/modules/module/moduletest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const sampleProfile = `# A profile.
variable "ssh_port" {
  description = "Port sshd listens on."
  default     = 2222
}

variable "allowed" {
  type    = list(string)
  default = []
}

sshd {
  port = var.ssh_port
}
`

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func debOptions() Options {
	return Options{Profile: []byte(sampleProfile), ProfileName: "site.hcl", Version: "1.2.3",
		DebURL: "https://example.org/harden_1.2.3_amd64.deb", DebSHA256: sha}
}

func aptOptions() Options {
	return Options{Profile: []byte(sampleProfile), ProfileName: "builtin:iri-node", Version: "1.2.3",
		Vars:    []string{"ssh_port=2200"},
		AptRepo: "deb [signed-by=$KEY_FILE] https://example.org/apt stable main",
		AptKey:  "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGexample\n-----END PGP PUBLIC KEY BLOCK-----\n"}
}

func TestRenderGolden(t *testing.T) {
	for name, o := range map[string]Options{"deb-url": debOptions(), "apt-repo": aptOptions()} {
		t.Run(name, func(t *testing.T) {
			got, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			moduletest.Golden(t, name+".yaml", got)
		})
	}
}

func TestRenderParts(t *testing.T) {
	doc, err := Render(debOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	if !strings.HasPrefix(s, "#cloud-config\n") {
		t.Errorf("document does not start with #cloud-config:\n%s", s)
	}
	// The profile is there verbatim, indented under its entry.
	for _, l := range strings.Split(strings.TrimSuffix(sampleProfile, "\n"), "\n") {
		if l != "" && !strings.Contains(s, "\n      "+l+"\n") {
			t.Errorf("profile line %q missing", l)
		}
	}
	for _, want := range []string{
		"apply -auto-approve -json -no-confirm -profile /etc/harden/profile.hcl",
		">/var/lib/harden/cloud-init/result.json", ">/var/lib/harden/cloud-init/plan.json",
		"exec >>/var/log/harden-cloud-init.log 2>&1",
		sha + "  $deb\" | sha256sum -c -",
		"--force-confold",
		"url='https://example.org/harden_1.2.3_amd64.deb'",
		`  - [/bin/sh, "/var/lib/harden/cloud-init/first-boot.sh"]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(s, "packages:") || strings.Contains(s, "apt:") {
		t.Errorf("a .deb URL install also adds apt sources or packages:\n%s", s)
	}

	doc, err = Render(aptOptions())
	if err != nil {
		t.Fatal(err)
	}
	s = string(doc)
	for _, want := range []string{"packages:\n  - harden\n", `source: "deb [signed-by=$KEY_FILE] https://example.org/apt stable main"`,
		"      key: |\n        -----BEGIN PGP PUBLIC KEY BLOCK-----\n\n        mQINBGexample\n", "default     = 2200"} {
		if !strings.Contains(s, want) {
			t.Errorf("apt document lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "harden.deb") {
		t.Error("apt document still downloads a .deb")
	}
}

// TestScriptSyntax checks the first-boot script with sh -n.
func TestScriptSyntax(t *testing.T) {
	for _, o := range []Options{debOptions(), aptOptions(), {Profile: []byte("x {}\n"), DebURL: "http://h/x.deb"}} {
		script := filepath.Join(t.TempDir(), "first-boot.sh")
		if err := os.WriteFile(script, []byte(o.script()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("sh -n: %v\n%s\n%s", err, out, o.script())
		}
	}
}

func TestRenderRejects(t *testing.T) {
	cases := map[string]struct {
		edit func(*Options)
		want string
	}{
		"no source":      {func(o *Options) { o.DebURL = "" }, "-deb-url URL -deb-sha256 HEX, or -apt-repo LINE"},
		"both sources":   {func(o *Options) { o.AptRepo = "deb [signed-by=$KEY_FILE] http://x stable main" }, "exclude each other"},
		"ftp url":        {func(o *Options) { o.DebURL = "ftp://example.org/h.deb" }, "want an http:// or https:// URL"},
		"relative url":   {func(o *Options) { o.DebURL = "harden.deb" }, "want an http:// or https:// URL"},
		"short sha":      {func(o *Options) { o.DebSHA256 = "abc" }, "want 64 hex digits"},
		"empty profile":  {func(o *Options) { o.Profile = nil }, "empty profile"},
		"undeclared var": {func(o *Options) { o.Vars = []string{"ssh_prot=1"} }, `declares no variable "ssh_prot"`},
		"bad number":     {func(o *Options) { o.Vars = []string{"ssh_port=many"} }, "expected number"},
		"not NAME=VALUE": {func(o *Options) { o.Vars = []string{"ssh_port"} }, "expected NAME=VALUE"},
		"apt line with newline": {func(o *Options) {
			o.DebURL, o.DebSHA256, o.AptRepo = "", "", "deb [signed-by=$KEY_FILE] http://x stable main\ndeb http://y stable main"
		}, "want one line"},
		"apt with sha": {func(o *Options) { o.DebURL, o.AptRepo = "", "deb [signed-by=$KEY_FILE] http://x stable main" }, "-deb-sha256 goes with -deb-url"},
		// Root installs what the URL serves at first boot: only a checksum
		// or apt's signature check makes that code the operator's.
		"http url without sha": {func(o *Options) { o.DebURL, o.DebSHA256 = "http://example.org/h.deb", "" },
			"-deb-url without -deb-sha256"},
		"https url without sha": {func(o *Options) { o.DebSHA256 = "" }, "Add -deb-sha256 with the .deb's checksum"},
		"apt without signed-by": {func(o *Options) {
			o.DebURL, o.DebSHA256, o.AptRepo, o.AptKey = "", "", "deb http://x stable main", "KEY"
		}, "[signed-by="},
		"apt trusted=yes": {func(o *Options) {
			o.DebURL, o.DebSHA256, o.AptRepo = "", "", "deb [trusted=yes signed-by=/usr/share/keyrings/x.gpg] http://x stable main"
		}, "trusted=yes"},
		"apt $KEY_FILE without key": {func(o *Options) {
			o.DebURL, o.DebSHA256, o.AptRepo = "", "", "deb [signed-by=$KEY_FILE] http://x stable main"
		}, "-apt-key"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := debOptions()
			c.edit(&o)
			_, err := Render(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestBakeVars(t *testing.T) {
	got, err := BakeVars([]byte(sampleProfile), "p.hcl", []string{"ssh_port=2200", `allowed=["deploy", "ops"]`})
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{"# A profile.", `description = "Port sshd listens on."`,
		"default     = 2200\n", `default = ["deploy", "ops"]`, "port = var.ssh_port"} {
		if !strings.Contains(s, want) {
			t.Errorf("baked profile lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "2222") {
		t.Errorf("old default kept:\n%s", s)
	}
	// No vars: the bytes are returned as they are.
	same, err := BakeVars([]byte(sampleProfile), "p.hcl", nil)
	if err != nil || string(same) != sampleProfile {
		t.Errorf("BakeVars without vars changed the profile: %v\n%s", err, same)
	}
	// A string variable takes VALUE as a string, quoted.
	src := "variable \"name\" {\n  default = \"a\"\n}\n"
	got, err = BakeVars([]byte(src), "p.hcl", []string{`name=say "hi"`})
	if err != nil || !strings.Contains(string(got), `default = "say \"hi\""`) {
		t.Errorf("string var: %v\n%s", err, got)
	}
	if _, err := BakeVars([]byte("variable \"x\" {\n"), "p.hcl", []string{"x=1"}); err == nil {
		t.Error("a profile that does not parse was baked")
	}
}

func TestLiteralSafe(t *testing.T) {
	for text, want := range map[string]bool{
		"a\nb\n":             true,
		"a\n\n  indented\n":  true,
		"\nfirst is blank\n": true,
		"a\tb\n\ttabbed\n":   true,
		"no newline":         false,
		"two newlines\n\n":   false,
		" leading space\n":   false,
		"a\n   \nb\n":        false,
		"a\r\nb\r\n":         false,
		"bell\a\n":           false,
		"\n":                 false,
		"é unicode ✓\n":      true,
	} {
		if got := literalSafe([]byte(text)); got != want {
			t.Errorf("literalSafe(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestUnsafeProfileIsBase64 checks that a profile YAML could not carry
// verbatim goes in base64 and decodes to the same bytes.
func TestUnsafeProfileIsBase64(t *testing.T) {
	o := debOptions()
	o.Profile = []byte("sshd {\r\n  port = 2222\r\n}\r\n")
	doc, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i := strings.Index(s, "    encoding: b64\n    content: ")
	if i < 0 {
		t.Fatalf("no base64 entry:\n%s", s)
	}
	line := s[i+len("    encoding: b64\n    content: "):]
	line = line[:strings.Index(line, "\n")]
	dec, err := base64.StdEncoding.DecodeString(line)
	if err != nil || !bytes.Equal(dec, o.Profile) {
		t.Errorf("base64 content decodes to %q (%v)", dec, err)
	}
}
