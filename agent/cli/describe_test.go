package cli

import (
	"strings"
	"testing"
)

// Describe reads every verb's own flag set: each verb is there with its
// synopsis, help and flags, and `harden help -json` carries them.
func TestDescribeEveryVerb(t *testing.T) {
	docs := Describe()
	if len(docs) != len(commands()) {
		t.Fatalf("%d verbs described, %d exist", len(docs), len(commands()))
	}
	byName := map[string]CommandDoc{}
	for _, d := range docs {
		byName[d.Name] = d
		if !strings.HasPrefix(d.Synopsis, "harden "+d.Name) || d.About == "" || len(d.Flags) == 0 {
			t.Errorf("%s described without synopsis, help or flags: %+v", d.Name, d)
		}
	}
	plan := byName["plan"]
	flags := map[string]FlagDoc{}
	for _, f := range plan.Flags {
		flags[f.Name] = f
	}
	if f := flags["profile"]; f.Arg != "FILE" || !strings.Contains(f.Usage, "built-in profile") {
		t.Errorf("plan -profile: %+v", f)
	}
	if f := flags["log-level"]; f.Arg != "LEVEL" || f.Default != "info" {
		t.Errorf("plan -log-level: %+v", f)
	}
	if f, ok := flags["diff"]; !ok || f.Arg != "" {
		t.Errorf("plan -diff: %+v", f)
	}
	if !plan.Root || byName["validate"].Root {
		t.Error("root is not what the verbs need")
	}
	code, doc, raw := runJSON(t, "help", "-json")
	if cmds, _ := doc["commands"].([]any); code != ExitOK || len(cmds) != len(docs) {
		t.Errorf("help -json: exit %d\n%s", code, raw)
	}
}
