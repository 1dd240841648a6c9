package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// StepKind says how a journaled step is undone.
type StepKind string

const (
	// StepFile: a file was written or removed; undo restores the backup
	// (bytes, mode, owner) or removes a file that did not exist.
	StepFile StepKind = "file"
	// StepDir: a directory was created; undo removes it if empty.
	StepDir StepKind = "dir"
	// StepMeta: a path's mode/owner changed; undo sets the old ones.
	StepMeta StepKind = "meta"
	// StepUnit: a unit was reloaded, restarted or (dis)enabled; undo
	// repeats the reload/restart once files are restored, and restores the
	// previous enablement.
	StepUnit StepKind = "unit"
	// StepCustom: a module's own undo (a firewall table, a created user),
	// handed back to that module's Undo with Data.
	StepCustom StepKind = "custom"
)

// Step is one journaled change, written before the change is made.
type Step struct {
	Kind    StepKind `json:"kind"`
	Module  string   `json:"module,omitempty"`
	Path    string   `json:"path,omitempty"`
	Existed bool     `json:"existed,omitempty"`
	Backup  string   `json:"backup,omitempty"` // file name in the run's files/
	Meta    FileMeta `json:"meta,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Op      UnitOp   `json:"op,omitempty"`
	Enabled bool     `json:"was_enabled,omitempty"`
	// Service is the service a socket triggers (OpRestartSocket).
	Service string          `json:"service,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Journal is the write-ahead record of one run's changes, in the run's
// directory: journal.jsonl (a step a line, fsynced) and files/ (backups).
type Journal struct {
	mu      sync.Mutex
	dir     string
	steps   []Step
	paths   map[string]bool
	module  string
	backups int
	// tornTail: the last line was cut off (see OpenJournal).
	tornTail bool
}

// CreateJournal starts an empty journal in dir (created, mode 0700: backups
// can hold secrets such as a private sshd config).
func CreateJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o700); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	return &Journal{dir: dir, paths: map[string]bool{}}, nil
}

// OpenJournal loads the journal of an earlier run for rollback. A missing
// journal.jsonl is an error: undoing nothing and calling it a rollback
// would hide a lost record. So is a line that does not parse, except a torn
// last line (no newline: the write was cut off, so the step it announced
// was never made); TornTail reports that case, and the caller decides
// whether the run could have been cut off at all.
func OpenJournal(dir string) (*Journal, error) {
	file := filepath.Join(dir, "journal.jsonl")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{dir: dir, paths: map[string]bool{}}
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, line := range lines {
		if len(line) == 0 {
			continue
		}
		var s Step
		if err := json.Unmarshal(line, &s); err != nil {
			if i == len(lines)-1 && !bytes.HasSuffix(line, []byte("\n")) {
				j.tornTail = true
				break
			}
			return nil, fmt.Errorf("journal: %s:%d: damaged (%v): the run cannot be undone from it; "+
				"its backups are in %s", file, i+1, err, filepath.Join(dir, "files"))
		}
		j.steps = append(j.steps, s)
		if s.Kind == StepFile {
			j.paths[s.Path] = true
		}
	}
	return j, nil
}

// TornTail reports that the journal's last line was cut off mid-write.
func (j *Journal) TornTail() bool { return j.tornTail }

// Dir is the run directory.
func (j *Journal) Dir() string { return j.dir }

// Steps returns the journaled steps in the order they were made.
func (j *Journal) Steps() []Step {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Step(nil), j.steps...)
}

// SetModule names the module whose steps follow (the engine sets it around
// each module's Apply).
func (j *Journal) SetModule(name string) {
	j.mu.Lock()
	j.module = name
	j.mu.Unlock()
}

// Backup returns the bytes saved for a step.
func (j *Journal) Backup(s Step) ([]byte, error) {
	return os.ReadFile(filepath.Join(j.dir, "files", s.Backup))
}

func (j *Journal) touched(p string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.paths[p]
}

func (j *Journal) saveBackup(data []byte) (string, error) {
	j.mu.Lock()
	j.backups++
	name := strconv.Itoa(j.backups)
	j.mu.Unlock()
	return name, writeAtomic(filepath.Join(j.dir, "files", name), data, FileMeta{Mode: 0o600})
}

func (j *Journal) append(s Step) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if s.Module == "" {
		s.Module = j.module
	}
	line, err := json.Marshal(s)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(j.dir, "journal.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.steps = append(j.steps, s)
	if s.Kind == StepFile {
		j.paths[s.Path] = true
	}
	return nil
}

// record journals a step; there must be a journal.
func (h *Host) record(s Step) error {
	if h.journal == nil {
		return errors.New("host: change outside a run (no journal attached)")
	}
	return h.journal.append(s)
}

// RecordCustom journals a module-specific undo step before the module makes
// the change; the module's Undo receives data back on rollback.
func (h *Host) RecordCustom(data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("journal custom step: %w", err)
	}
	return h.record(Step{Kind: StepCustom, Data: raw})
}
