package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"time"

	"harden/agent/plan"
	"harden/modules/host"
)

// Run statuses, as stored in result.json.
const (
	StatusApplying   = "applying"    // interrupted when seen by the holder of the lock
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
	Dir     string // as this process sees it (under -root, inside the root)
	Journal *host.Journal
	Result  Result

	store *Store
	sys   string // Dir as a system path under the store's root
}

// Runs is the run store under a state directory.
type Runs struct {
	store *Store
	dir   string
}

// Runs returns the store's runs.
func (s *Store) Runs() *Runs { return &Runs{store: s, dir: path.Join(s.dir, "runs")} }

// Create starts a run: its directory, an empty journal, plan.json and
// result.json (status applying), each durable before the run changes
// anything.
func (r *Runs) Create(p *plan.Plan) (*Run, error) {
	id := newRunID(time.Now())
	dir := path.Join(r.dir, id)
	h := r.store.h
	for _, d := range []string{r.store.dir, r.dir, dir, path.Join(dir, "files")} {
		if err := h.MkdirState(d); err != nil {
			return nil, fmt.Errorf("create run directory: %w", err)
		}
	}
	if err := h.WriteState(path.Join(dir, journalFile), nil); err != nil {
		return nil, fmt.Errorf("create run journal: %w", err)
	}
	j, err := h.CreateJournal(dir)
	if err != nil {
		return nil, err
	}
	run := &Run{ID: id, Dir: h.Path(dir), Journal: j, Result: Result{
		ID: id, Status: StatusApplying, Started: time.Now().UTC(), Changes: p.Summary.Total(), Profile: p.Profile,
	}, store: r.store, sys: dir}
	if err := r.store.saveJSON(path.Join(dir, "plan.json"), p); err != nil {
		return nil, fmt.Errorf("run %s: plan.json: %w", id, err)
	}
	return run, run.Save()
}

const journalFile = "journal.jsonl"

// Open loads an earlier run with its journal. A missing or damaged journal
// is an error; so is a torn last line in a run that finished (only a run cut
// off while applying can have one).
func (r *Runs) Open(id string) (*Run, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%q is not a run id (see `harden status`)", id)
	}
	h := r.store.h
	dir := path.Join(r.dir, id)
	res, err := r.readResult(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no run %q (see %s)", id, h.Path(r.dir))
	}
	if err != nil {
		return nil, err
	}
	run := &Run{ID: id, Dir: h.Path(dir), Result: res, store: r.store, sys: dir}
	if run.Journal, err = h.OpenJournal(dir); err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	if run.Journal.TornTail() && res.Status != StatusApplying {
		return nil, fmt.Errorf("run %s: %s ends mid-line although the run finished (%s): the journal is "+
			"damaged; its backups are in %s", id, filepath.Join(run.Dir, journalFile), res.Status, filepath.Join(run.Dir, "files"))
	}
	return run, nil
}

// validID keeps a run id a plain directory name: an id from the command
// line or a record never leads outside the runs directory.
func validID(id string) bool {
	return id != "" && id != "." && id != ".." && filepath.Base(id) == id && !filepath.IsAbs(id)
}

func (r *Runs) readResult(dir string) (Result, error) {
	var res Result
	file := path.Join(dir, "result.json")
	data, err := r.store.h.ReadFile(file)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return res, fmt.Errorf("%s: %w", r.store.h.Path(file), err)
	}
	return res, nil
}

// List returns every run, oldest first. A directory without result.json is
// a run cut off before it existed (nothing was changed) and is skipped; a
// result.json that does not parse is an error, as the run's state is
// unknown.
func (r *Runs) List() ([]Result, error) {
	entries, err := r.store.h.ReadDir(r.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		res, err := r.readResult(path.Join(r.dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", e.Name(), err)
		}
		out = append(out, res)
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

// Save writes the run's result.json.
func (run *Run) Save() error {
	if err := run.store.saveJSON(path.Join(run.sys, "result.json"), run.Result); err != nil {
		return fmt.Errorf("run %s: result.json: %w", run.ID, err)
	}
	return nil
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

// Interrupted is the newest run cut off while applying, or nil. Only the
// holder of the lock may ask: to anyone else, a run being applied right now
// looks the same.
func (r *Runs) Interrupted() (*Result, error) {
	runs, err := r.List()
	if err != nil {
		return nil, err
	}
	return newest(runs, StatusApplying), nil
}

// newest is the newest run of runs (oldest first) with status, or nil.
func newest(runs []Result, status string) *Result {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Status == status {
			return &runs[i]
		}
	}
	return nil
}

// ToRollBack is the run a plain `harden rollback` undoes: an interrupted
// run first (its changes are half made and block every apply), else the
// newest applied run.
func (r *Runs) ToRollBack() (string, error) {
	runs, err := r.List()
	if err != nil {
		return "", err
	}
	for _, status := range []string{StatusApplying, StatusApplied} {
		if run := newest(runs, status); run != nil {
			return run.ID, nil
		}
	}
	return "", errors.New("no applied or interrupted run to roll back")
}
