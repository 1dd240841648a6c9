//go:build root

package cloudinit

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"harden/profiles"
)

// TestSchemaAcceptsDocuments has cloud-init itself judge every document
// harden renders: `cloud-init schema` must accept it, and its YAML must
// give back the profile and the script byte for byte.
func TestSchemaAcceptsDocuments(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root tier: run as root")
	}
	for _, bin := range []string{"cloud-init", "python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install cloud-init)", bin)
		}
	}
	cases := map[string]Options{"deb-url": debOptions(), "apt-repo": aptOptions()}
	crlf := debOptions()
	crlf.Profile = []byte("sshd {\r\n  port = 2222\r\n}\r\n")
	cases["base64 profile"] = crlf
	for _, name := range profiles.Names() {
		src, _ := profiles.Get(name)
		o := debOptions()
		o.Profile, o.ProfileName, o.Vars = src, "builtin:"+name, []string{"ssh_port=2200"}
		cases["builtin "+name] = o
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "user-data")
			if err := os.WriteFile(file, doc, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("cloud-init", "schema", "--config-file", file).CombinedOutput(); err != nil {
				t.Fatalf("cloud-init schema rejects the document: %v\n%s\n%s", err, out, doc)
			}
			out, err := exec.Command("python3", "-c", decodeWriteFiles, file).Output()
			if err != nil {
				t.Fatalf("python3 yaml: %v", err)
			}
			var files map[string]string
			if err := json.Unmarshal(out, &files); err != nil {
				t.Fatal(err)
			}
			profile, _ := BakeVars(o.Profile, o.ProfileName, o.Vars)
			if files[ProfilePath] != string(profile) {
				t.Errorf("YAML gives back a different profile:\n%q\nwant\n%q", files[ProfilePath], profile)
			}
			if files[ScriptPath] != o.script() {
				t.Errorf("YAML gives back a different script:\n%s", files[ScriptPath])
			}
		})
	}
}

// decodeWriteFiles prints {path: content} of write_files, decoding base64.
const decodeWriteFiles = `
import base64, json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], "rb"))
out = {}
for f in doc["write_files"]:
    c = f.get("content", "")
    if f.get("encoding") == "b64":
        c = base64.b64decode(c).decode()
    out[f["path"]] = c
json.dump(out, sys.stdout)
`
