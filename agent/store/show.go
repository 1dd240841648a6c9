package store

import (
	"fmt"
	"path"

	"harden/agent/plan"
)

// Record is a run as `harden show` reads it back: its plan and its result.
type Record struct {
	Plan   *plan.Plan
	Result Result
	Dir    string // as this process sees it
}

// Record reads a run's plan and result; id "" is the newest run.
func (r *Runs) Record(id string) (*Record, error) {
	if id == "" {
		runs, err := r.List()
		if err != nil {
			return nil, err
		}
		if len(runs) == 0 {
			return nil, fmt.Errorf("no runs yet (in %s)", r.store.h.Path(r.dir))
		}
		id = runs[len(runs)-1].ID
	}
	if !validID(id) {
		return nil, fmt.Errorf("%q is not a run id (see `harden status`)", id)
	}
	dir := path.Join(r.dir, id)
	rec := &Record{Plan: &plan.Plan{}, Dir: r.store.h.Path(dir)}
	found, err := r.store.Load(path.Join("runs", id, "result.json"), &rec.Result)
	if err == nil && !found {
		err = fmt.Errorf("no run %q (see %s)", id, r.store.h.Path(r.dir))
	}
	if err != nil {
		return nil, err
	}
	if found, err = r.store.Load(path.Join("runs", id, "plan.json"), rec.Plan); err == nil && !found {
		err = fmt.Errorf("run %s has no plan.json in %s", id, rec.Dir)
	}
	return rec, err
}
