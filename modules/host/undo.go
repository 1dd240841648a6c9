package host

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// CustomUndo hands a module's custom step back to that module.
type CustomUndo func(ctx context.Context, s Step) error

// Undo reverts a journal's steps in reverse order: files get their old
// bytes, mode and owner back (or are removed if they were new), created
// directories are removed, enablement is restored, custom steps go to their
// module. Unit jobs are repeated last, once everything they read is back,
// after a daemon-reload if unit files changed. Undo keeps going past a
// failed step and reports every failure: a half-undone machine is worse.
// It is idempotent: undoing the same journal twice gives the same machine.
func (h *Host) Undo(ctx context.Context, j *Journal, custom CustomUndo) error {
	steps := j.Steps()
	var errs []error
	var jobs []Step
	daemonReload := false
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		var err error
		switch s.Kind {
		case StepFile:
			err = h.restoreFile(j, s)
			daemonReload = daemonReload || isUnitFile(s.Path)
		case StepDir:
			err = h.removeDir(s.Path)
		case StepMeta:
			err = h.setMeta(s.Path, s.Meta)
		case StepCustom:
			err = custom(ctx, s)
		case StepUnit:
			switch s.Op {
			case OpEnable, OpDisable:
				err = h.sd.SetEnabled(ctx, s.Unit, s.Enabled)
			case OpDaemonReload:
				daemonReload = true
			default:
				jobs = append(jobs, s)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("undo %s %s%s: %w", s.Kind, s.Path, s.Unit, err))
		}
	}
	if daemonReload {
		if err := h.sd.DaemonReload(ctx); err != nil {
			errs = append(errs, fmt.Errorf("undo: daemon-reload: %w", err))
		}
	}
	for _, s := range dedupeJobs(jobs) {
		if s.Op == OpRestartSocket {
			h.log.Info("undo: socket back on its old ports", zap.String("unit", s.Unit))
			if err := h.restartSocket(ctx, s.Unit, s.Service, true); err != nil {
				errs = append(errs, fmt.Errorf("undo: restart %s: %w", s.Unit, err))
			}
			continue
		}
		op := undoOp[s.Op]
		if op == "" {
			continue
		}
		h.log.Info("undo: unit job", zap.String("op", string(op)), zap.String("unit", s.Unit))
		if err := h.sd.Run(ctx, op, s.Unit); err != nil {
			errs = append(errs, fmt.Errorf("undo: %s %s: %w", op, s.Unit, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Host) restoreFile(j *Journal, s Step) error {
	jl, err := h.jailed()
	if err != nil {
		return err
	}
	if err := jl.sweepTemps(s.Path); err != nil {
		return fmt.Errorf("remove leftover temp files: %w", err)
	}
	if !s.Existed {
		return jl.remove(s.Path, 0)
	}
	data, err := j.Backup(s)
	if err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	h.log.Info("undo: restore file", zapPath(s.Path))
	return jl.writeAtomic(s.Path, data, s.Meta)
}

// removeDir removes a directory the run created, if it is still empty.
func (h *Host) removeDir(p string) error {
	jl, err := h.jailed()
	if err != nil {
		return err
	}
	err = jl.remove(p, unix.AT_REMOVEDIR)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return nil // something else lives there now
	}
	return err
}

func (h *Host) setMeta(p string, m FileMeta) error {
	jl, err := h.jailed()
	if err != nil {
		return err
	}
	return jl.setMetaAt(p, m)
}

// undoOp is the job that undoes a unit job once files are restored.
var undoOp = map[UnitOp]UnitOp{
	OpReload:     OpTryReload,
	OpTryReload:  OpTryReload,
	OpRestart:    OpTryRestart,
	OpTryRestart: OpTryRestart,
	OpStart:      OpStop, // it was not running before the run started it
}

// dedupeJobs keeps the first of repeated unit jobs (one reload is enough).
func dedupeJobs(jobs []Step) []Step {
	seen := map[string]bool{}
	var out []Step
	for _, s := range jobs {
		key := string(s.Op) + " " + s.Unit
		if !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out
}

func isUnitFile(p string) bool {
	return strings.HasPrefix(p, "/etc/systemd/") || strings.HasPrefix(p, "/lib/systemd/") ||
		strings.HasPrefix(p, "/usr/lib/systemd/")
}
