//go:build root

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The lockout guard's refusal reaches a script as data: every user's
// reasons and the fix, in the failure document of plan -json.
func TestPlanJSONCarriesTheLockoutGuardsReasons(t *testing.T) {
	root := stockRoot(t)
	if err := os.Remove(filepath.Join(root, "home/deploy/.ssh/authorized_keys")); err != nil {
		t.Fatal(err)
	}
	profile := writeProfile(t, "sshd {\n  port = 2200\n}\n")
	code, doc, raw := runJSON(t, "plan", "-json", "-root", root, "-profile", profile, "-log-level", "error")
	if code != ExitError || !strings.Contains(doc["error"].(string), "lockout guard") {
		t.Fatalf("exit %d, document:\n%s", code, raw)
	}
	lockout, ok := doc["lockout"].(map[string]any)
	if !ok {
		t.Fatalf("no lockout in the failure document:\n%s", raw)
	}
	problems, _ := lockout["problems"].([]any)
	found := false
	for _, p := range problems {
		found = found || strings.HasPrefix(p.(string), "deploy: ")
	}
	if !found || !strings.Contains(lockout["fix"].(string), "authorized_keys") {
		t.Errorf("the refusal lacks deploy's reasons or the fix:\n%s", raw)
	}
}

// apply -json names the command that undoes the run, and it does.
func TestApplyJSONNamesItsUndo(t *testing.T) {
	root := stockRoot(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	profile := writeProfile(t, "sshd {\n  port = 2200\n}\n")
	code, doc, raw := runJSON(t, "apply", "-json", "-auto-approve", "-root", root, "-profile", profile, "-log-level", "error")
	undo, _ := doc["undo"].(string)
	if code != ExitOK || doc["status"] != "applied" || !strings.HasPrefix(undo, "harden rollback -root "+root+" ") ||
		!strings.Contains(doc["backups"].(string), "/var/lib/harden/runs/") {
		t.Fatalf("exit %d, document:\n%s", code, raw)
	}
	if code, _, errs := run(t, strings.Fields(undo)[1:]...); code != ExitOK {
		t.Fatalf("%s: exit %d\n%s", undo, code, errs)
	}
	if now, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(now) != string(orig) {
		t.Errorf("%s did not restore sshd_config", undo)
	}
}

// status -json and rollback -json answer with documents: the run applied,
// then rolled back.
func TestStatusAndRollbackJSON(t *testing.T) {
	root := stockRoot(t)
	profile := writeProfile(t, "sshd {\n  port = 2200\n}\n")
	code, doc, raw := runJSON(t, "apply", "-json", "-auto-approve", "-root", root, "-profile", profile, "-log-level", "error")
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", code, raw)
	}
	id := doc["run"].(string)
	code, doc, raw = runJSON(t, "status", "-json", "-root", root)
	runs, _ := doc["runs"].([]any)
	if code != ExitOK || len(runs) != 1 || runs[0].(map[string]any)["id"] != id || runs[0].(map[string]any)["status"] != "applied" {
		t.Errorf("status: exit %d\n%s", code, raw)
	}
	code, doc, raw = runJSON(t, "rollback", "-json", "-root", root, id)
	if code != ExitOK || doc["run"] != id || doc["status"] != "rolled-back" {
		t.Errorf("rollback: exit %d\n%s", code, raw)
	}
}
