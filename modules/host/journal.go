package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
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
// The directory is resolved inside a root like every other path (a run
// journal under -root is the image's, and the image may have crafted it).
type Journal struct {
	mu      sync.Mutex
	fs      *jail
	dir     string // the run directory, a path under fs
	steps   []Step
	paths   map[string]bool
	module  string
	backups int
	// tornTail: the last line was cut off (see OpenJournal).
	tornTail bool
}

// CreateJournal starts an empty journal in dir, a directory on this
// machine (created, mode 0700: backups can hold secrets such as a private
// sshd config).
func CreateJournal(dir string) (*Journal, error) {
	fs, err := dirJail(dir)
	if err != nil {
		return nil, err
	}
	return createJournal(fs, "/")
}

// CreateJournal starts an empty journal in dir, a system path under the
// host's root.
func (h *Host) CreateJournal(dir string) (*Journal, error) {
	fs, err := h.jailed()
	if err != nil {
		return nil, err
	}
	return createJournal(fs, dir)
}

func dirJail(dir string) (*jail, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	return openJail(dir)
}

func createJournal(fs *jail, dir string) (*Journal, error) {
	if err := fs.mkdirAll(path.Join(dir, "files"), 0o700); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	return &Journal{fs: fs, dir: dir, paths: map[string]bool{}}, nil
}

// OpenJournal loads the journal of an earlier run in dir, a directory on
// this machine, for rollback. A missing journal.jsonl is an error: undoing
// nothing and calling it a rollback would hide a lost record. So is a line
// that does not parse, except a torn last line (no newline: the write was
// cut off, so the step it announced was never made); TornTail reports that
// case, and the caller decides whether the run could have been cut off at
// all. So is a step harden never writes (see Step.check): the journal was
// changed by someone else, and rolling it back could reach anywhere.
func OpenJournal(dir string) (*Journal, error) {
	fs, err := openJail(dir)
	if err != nil {
		return nil, err
	}
	return openJournal(fs, "/")
}

// OpenJournal loads the journal of an earlier run in dir, a system path
// under the host's root.
func (h *Host) OpenJournal(dir string) (*Journal, error) {
	fs, err := h.jailed()
	if err != nil {
		return nil, err
	}
	return openJournal(fs, dir)
}

func openJournal(fs *jail, dir string) (*Journal, error) {
	j := &Journal{fs: fs, dir: dir, paths: map[string]bool{}}
	file := path.Join(dir, "journal.jsonl")
	fd, err := fs.open(file, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer unix.Close(fd)
	data, err := readRegular(fd, fs.hostPath(file), MaxReadSize)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
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
				"its backups are in %s", fs.hostPath(file), i+1, err, fs.hostPath(path.Join(dir, "files")))
		}
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("journal: %s:%d: %w; harden never writes such a step, so the journal "+
				"was changed by someone else and is not rolled back", fs.hostPath(file), i+1, err)
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

// check refuses a step harden would not have written: a path that is not
// clean and absolute, a backup name that is not a plain number.
func (s Step) check() error {
	switch s.Kind {
	case StepFile, StepDir, StepMeta:
		if !path.IsAbs(s.Path) || path.Clean(s.Path) != s.Path {
			return fmt.Errorf("%s step: path %q is not a clean absolute path", s.Kind, s.Path)
		}
	case StepUnit, StepCustom:
	default:
		return fmt.Errorf("unknown step kind %q", s.Kind)
	}
	if s.Kind == StepFile && s.Existed && s.Backup == "" {
		return fmt.Errorf("file step %s: no backup", s.Path)
	}
	if _, err := strconv.ParseUint(s.Backup, 10, 32); s.Backup != "" && err != nil {
		return fmt.Errorf("file step %s: backup name %q is not a number", s.Path, s.Backup)
	}
	return nil
}

// Dir is the run directory on this machine.
func (j *Journal) Dir() string { return j.fs.hostPath(j.dir) }

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

// Backup returns the bytes saved for a step: a regular file in the run's
// files/, never a link out of it.
func (j *Journal) Backup(s Step) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	file := path.Join(j.dir, "files", s.Backup)
	fd, err := j.fs.open(file, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readRegular(fd, j.fs.hostPath(file), MaxReadSize)
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
	return name, j.fs.writeAtomic(path.Join(j.dir, "files", name), data,
		FileMeta{Mode: 0o600, UID: os.Geteuid(), GID: os.Getegid()})
}

func (j *Journal) append(s Step) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	killPoint("before", len(j.steps))
	defer func() { killPoint("after", len(j.steps)) }()
	if s.Module == "" {
		s.Module = j.module
	}
	line, err := json.Marshal(s)
	if err != nil {
		return err
	}
	// The first line creates the file: the directory is synced with it.
	if err := j.fs.appendSynced(path.Join(j.dir, "journal.jsonl"), append(line, '\n'), len(j.steps) == 0); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.steps = append(j.steps, s)
	if s.Kind == StepFile {
		j.paths[s.Path] = true
	}
	return nil
}

// killPoint does nothing, except in the kill test's build of harden (the
// killhook build tag), where it ends the process at a chosen journal
// position to show that a run cut off anywhere can be rolled back.
var killPoint = func(stage string, steps int) {}

// appendSynced appends data to file p (created 0600) and syncs it, and its
// directory too with syncDir.
func (j *jail) appendSynced(p string, data []byte, syncDir bool) error {
	dir, base, err := j.parent(p)
	if err != nil {
		return err
	}
	defer dir.Close()
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return j.pathError("open", p, err)
	}
	f := os.NewFile(uintptr(fd), j.hostPath(p))
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if syncDir {
		return dir.Sync()
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
