//go:build root

package cli

import (
	"strings"
	"testing"
)

// show prints a past run's plan and result: the newest by default, any
// run by id, its files in full with -diff, as JSON with -json.
func TestShowPrintsAPastRun(t *testing.T) {
	root := stockRoot(t)
	profile := writeProfile(t, "sshd {\n  port = 2200\n}\n")
	code, doc, raw := runJSON(t, "apply", "-json", "-auto-approve", "-root", root, "-profile", profile, "-log-level", "error")
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", code, raw)
	}
	id := doc["run"].(string)

	code, out, errs := run(t, "show", "-root", root)
	if code != ExitOK || !strings.HasPrefix(out, "Run "+id+": applied") || !strings.Contains(out, `~ sshd.setting[Port]`) ||
		!strings.Contains(out, "Undo with: harden rollback -root "+root+" "+id) || strings.Contains(out, "+Port 2200") {
		t.Errorf("show: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "harden show -root "+root+" "+id+" -diff") {
		t.Errorf("show does not say how to see the diffs:\n%s", out)
	}
	code, out, _ = run(t, "show", id, "-root", root, "-diff")
	if code != ExitOK || !strings.Contains(out, "+Port 2200") {
		t.Errorf("show -diff: exit %d\n%s", code, out)
	}
	code, doc, raw = runJSON(t, "show", "-json", "-root", root, id)
	rec, _ := doc["run"].(map[string]any)
	plan, _ := doc["plan"].(map[string]any)
	if code != ExitOK || rec["status"] != "applied" || plan["profile"] != profile || doc["undo"] == nil {
		t.Errorf("show -json: exit %d\n%s", code, raw)
	}
	if code, _, errs = run(t, "show", "-root", root, "20990101T000000Z-000000"); code != ExitError || !strings.Contains(errs, "no run") {
		t.Errorf("show of an unknown run: exit %d\n%s", code, errs)
	}
}
