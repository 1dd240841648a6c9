package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/agent/plan"
)

type record struct {
	Name string `json:"name"`
}

// A record replaces the old one by rename: a reader holding the old file
// sees it whole, the new one appears whole, and no temp file stays behind.
func TestSaveReplacesARecordWhole(t *testing.T) {
	root := t.TempDir()
	s := At(filepath.Join(root, "var/lib/harden"))
	if err := s.Save("r.json", record{"old"}); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(filepath.Join(s.Dir(), "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := s.Save("r.json", record{"new"}); err != nil {
		t.Fatal(err)
	}
	var got record
	if found, err := s.Load("r.json", &got); !found || err != nil || got.Name != "new" {
		t.Fatalf("load = %+v, %v, %v", got, found, err)
	}
	held := make([]byte, 100)
	n, _ := old.Read(held)
	if !strings.Contains(string(held[:n]), `"old"`) {
		t.Errorf("the old record was rewritten in place, not replaced: a reader saw %q", held[:n])
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 1 {
		t.Errorf("state dir holds %d entries, want r.json alone: %v", len(entries), entries)
	}
	if fi, _ := os.Stat(filepath.Join(s.Dir(), "r.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(s.Dir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(root, "var/lib")); fi.Mode().Perm() != 0o755 {
		t.Errorf("a parent the store created has mode %v, want 0755", fi.Mode().Perm())
	}
	if err := s.Remove("r.json"); err != nil {
		t.Fatal(err)
	}
	if found, err := s.Load("r.json", &got); found || err != nil {
		t.Errorf("after remove: found %v, err %v", found, err)
	}
	if err := s.Remove("r.json"); err != nil {
		t.Errorf("removing a missing record: %v", err)
	}
}

func TestLoadOfADamagedRecordIsAnError(t *testing.T) {
	s := At(t.TempDir())
	if err := os.WriteFile(filepath.Join(s.Dir(), "r.json"), []byte(`{"name": "cut`), 0o600); err != nil {
		t.Fatal(err)
	}
	var got record
	if _, err := s.Load("r.json", &got); err == nil || !strings.Contains(err.Error(), "r.json") {
		t.Errorf("err = %v, want one naming r.json", err)
	}
}

// A run exists with an empty journal before it changes anything, so a
// missing journal later means a lost record, never "nothing was done".
func TestCreateWritesEveryRecordFirst(t *testing.T) {
	s := At(filepath.Join(t.TempDir(), "var/lib/harden"))
	runs := s.Runs()
	run, err := runs.Create(plan.New("v", "p.hcl", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.Dir(), filepath.Dir(run.Dir), run.Dir} {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s has mode %v, want 0700 (backups hold secrets)", d, fi.Mode().Perm())
		}
	}
	for _, f := range []string{"journal.jsonl", "plan.json", "result.json", "files"} {
		if _, err := os.Stat(filepath.Join(run.Dir, f)); err != nil {
			t.Errorf("new run lacks %s: %v", f, err)
		}
	}
	again, err := runs.Open(run.ID)
	if err != nil || again.Result.Status != StatusApplying || len(again.Journal.Steps()) != 0 {
		t.Fatalf("open = %+v, %v", again, err)
	}
}

// A run cut off while applying may end in a torn line (the write of a step
// that was never made); a finished run may not.
func TestATornTailIsExpectedOnlyWhileApplying(t *testing.T) {
	runs := At(t.TempDir()).Runs()
	run, err := runs.Create(plan.New("v", "p.hcl", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	line := `{"kind":"dir","path":"/etc/x"}` + "\n" + `{"kind":"file","pa`
	if err := os.WriteFile(filepath.Join(run.Dir, "journal.jsonl"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := runs.Open(run.ID)
	if err != nil || len(got.Journal.Steps()) != 1 {
		t.Fatalf("interrupted run with a torn tail: %v, %v", got, err)
	}
	if err := run.Finish(StatusApplied, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Open(run.ID); err == nil || !strings.Contains(err.Error(), "ends mid-line") {
		t.Errorf("finished run with a torn tail: err = %v", err)
	}
}

func TestOpenTakesOnlyAPlainRunID(t *testing.T) {
	runs := At(t.TempDir()).Runs()
	for _, id := range []string{"../pending.json", "/etc", "..", "a/b", ""} {
		if _, err := runs.Open(id); err == nil || !strings.Contains(err.Error(), "not a run id") {
			t.Errorf("Open(%q): err = %v", id, err)
		}
	}
}
