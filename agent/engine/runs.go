package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"harden/agent/plan"
	"harden/modules/host"
)

// StateDir is where harden keeps its records on the machine.
const StateDir = "/var/lib/harden"

// Run statuses, as stored in result.json.
const (
	StatusApplying   = "applying"    // interrupted if seen later
	StatusApplied    = "applied"     // the machine matches the plan
	StatusFailed     = "failed"      // apply failed and was undone
	StatusRolledBack = "rolled-back" // undone by `harden rollback`
)

// Result is a run's outcome (result.json in its directory).
type Result struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Changes  int       `json:"changes"`
	Profile  string    `json:"profile"`
}

// Run is one apply's record: runs/<id>/{plan.json,journal.jsonl,files/,result.json}.
type Run struct {
	ID      string
	Dir     string
	Journal *host.Journal
	Result  Result
}

// Runs is the run store under a host's root.
type Runs struct{ dir string }

// RunsOf returns the run store of a host.
func RunsOf(h *host.Host) *Runs { return &Runs{dir: h.Path(filepath.Join(StateDir, "runs"))} }

// Create starts a run: its directory, its journal and plan.json.
func (r *Runs) Create(p *plan.Plan) (*Run, error) {
	id := newRunID(time.Now())
	dir := filepath.Join(r.dir, id)
	j, err := host.CreateJournal(dir)
	if err != nil {
		return nil, err
	}
	run := &Run{ID: id, Dir: dir, Journal: j, Result: Result{
		ID: id, Status: StatusApplying, Started: time.Now().UTC(), Changes: p.Summary.Total(), Profile: p.Profile,
	}}
	if err := writeJSON(filepath.Join(dir, "plan.json"), p); err != nil {
		return nil, err
	}
	return run, run.Save()
}

// Open loads an earlier run.
func (r *Runs) Open(id string) (*Run, error) {
	dir := filepath.Join(r.dir, id)
	run := &Run{ID: id, Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no run %q (see %s)", id, r.dir)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &run.Result); err != nil {
		return nil, fmt.Errorf("run %s: result.json: %w", id, err)
	}
	if run.Journal, err = host.OpenJournal(dir); err != nil {
		return nil, fmt.Errorf("run %s: journal: %w", id, err)
	}
	return run, nil
}

// List returns every run, oldest first.
func (r *Runs) List() ([]Result, error) {
	entries, err := os.ReadDir(r.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, e := range entries {
		run, err := r.Open(e.Name())
		if err != nil {
			continue
		}
		out = append(out, run.Result)
	}
	// Start times, not ids: two runs can start within the same second
	// (an apply and the confirm that closes the old port).
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// LastApplied is the newest run whose changes are still in place.
func (r *Runs) LastApplied() (string, error) {
	runs, err := r.List()
	if err != nil {
		return "", err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Status == StatusApplied {
			return runs[i].ID, nil
		}
	}
	return "", errors.New("no applied run to roll back")
}

// Save writes the run's result.json.
func (run *Run) Save() error {
	return writeJSON(filepath.Join(run.Dir, "result.json"), run.Result)
}

// Finish records the outcome.
func (run *Run) Finish(status string, err error) error {
	run.Result.Status = status
	run.Result.Finished = time.Now().UTC()
	if err != nil {
		run.Result.Error = err.Error()
	}
	return run.Save()
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
