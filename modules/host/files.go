package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FileMeta is a file's mode and owner.
type FileMeta struct {
	Mode fs.FileMode `json:"mode"`
	UID  int         `json:"uid"`
	GID  int         `json:"gid"`
}

// ReadFile reads a system path under the root.
func (h *Host) ReadFile(p string) ([]byte, error) { return os.ReadFile(h.Path(p)) }

// Stat stats a system path under the root (following symlinks).
func (h *Host) Stat(p string) (fs.FileInfo, error) { return os.Stat(h.Path(p)) }

// Exists reports whether a system path exists under the root.
func (h *Host) Exists(p string) bool {
	_, err := os.Lstat(h.Path(p))
	return err == nil
}

// Glob expands a pattern of system paths under the root and returns system
// paths, sorted (the order sshd and systemd read drop-ins in).
func (h *Host) Glob(pattern string) ([]string, error) {
	matches, err := filepath.Glob(h.Path(pattern))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(matches))
	for i, m := range matches {
		out[i] = h.SystemPath(m)
	}
	return out, nil
}

// Meta returns a file's mode and owner.
func (h *Host) Meta(p string) (FileMeta, error) {
	fi, err := os.Stat(h.Path(p))
	if err != nil {
		return FileMeta{}, err
	}
	return metaOf(fi), nil
}

func metaOf(fi fs.FileInfo) FileMeta {
	m := FileMeta{Mode: fi.Mode().Perm()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		m.UID, m.GID = int(st.Uid), int(st.Gid)
	}
	return m
}

// WriteFile replaces a file atomically (temp file in the same directory,
// fsync, rename, fsync of the directory) after journaling its old bytes,
// mode and owner. A nil meta keeps the existing file's mode and owner, or
// uses 0644 root:root for a new file.
func (h *Host) WriteFile(p string, data []byte, meta *FileMeta) error {
	if err := h.journalFile(p); err != nil {
		return err
	}
	m := FileMeta{Mode: 0o644}
	if meta != nil {
		m = *meta
	} else if old, err := h.Meta(p); err == nil {
		m = old
	}
	if err := writeAtomic(h.Path(p), data, m); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	h.log.Debug("wrote file", zapPath(p), zapInt("bytes", len(data)))
	return nil
}

// RemoveFile deletes a file after journaling it; a missing file is fine.
func (h *Host) RemoveFile(p string) error {
	if !h.Exists(p) {
		return nil
	}
	if err := h.journalFile(p); err != nil {
		return err
	}
	if err := os.Remove(h.Path(p)); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return syncDir(filepath.Dir(h.Path(p)))
}

// MkdirAll creates a directory (and missing parents) with the given mode and
// owner, journaling each directory it creates. An existing directory is left
// alone: changing its mode or owner is a separate, journaled Chown.
func (h *Host) MkdirAll(p string, meta FileMeta) error {
	if fi, err := os.Stat(h.Path(p)); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", p)
		}
		return nil
	}
	if parent := filepath.Dir(p); parent != p {
		if err := h.MkdirAll(parent, FileMeta{Mode: 0o755}); err != nil {
			return err
		}
	}
	if err := h.record(Step{Kind: StepDir, Path: p}); err != nil {
		return err
	}
	if err := os.Mkdir(h.Path(p), meta.Mode.Perm()); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	return applyMeta(h.Path(p), meta)
}

// Chown sets a path's mode and owner, journaling the old ones.
func (h *Host) Chown(p string, meta FileMeta) error {
	old, err := h.Meta(p)
	if err != nil {
		return err
	}
	if err := h.record(Step{Kind: StepMeta, Path: p, Meta: old}); err != nil {
		return err
	}
	return applyMeta(h.Path(p), meta)
}

// journalFile saves a file's current bytes and metadata to the run before
// its first change in this run; later changes to the same path reuse that.
func (h *Host) journalFile(p string) error {
	j := h.journal
	if j == nil {
		return errors.New("host: change outside a run (no journal attached)")
	}
	if j.touched(p) {
		return nil
	}
	step := Step{Kind: StepFile, Path: p}
	fi, err := os.Lstat(h.Path(p))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("back up %s: %w", p, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("back up %s: not a regular file (%s)", p, fi.Mode().Type())
	default:
		data, err := os.ReadFile(h.Path(p))
		if err != nil {
			return fmt.Errorf("back up %s: %w", p, err)
		}
		if step.Backup, err = j.saveBackup(data); err != nil {
			return fmt.Errorf("back up %s: %w", p, err)
		}
		step.Existed, step.Meta = true, metaOf(fi)
	}
	return h.record(step)
}

func writeAtomic(path string, data []byte, m FileMeta) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := applyMeta(tmp.Name(), m); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// tempPattern names writeAtomic's temp files beside path: .NAME.harden-NNN
// (os.CreateTemp puts random digits for the star).
func tempPattern(path string) string { return tempPrefix(path) + "*" }

func tempPrefix(path string) string { return "." + filepath.Base(path) + ".harden-" }

// sweepTemps removes the temp files writeAtomic left beside path when the
// process was killed between creating one and renaming it into place.
func sweepTemps(path string) error {
	entries, err := os.ReadDir(filepath.Dir(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	prefix := tempPrefix(path)
	var errs []error
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() || digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		if err := os.Remove(filepath.Join(filepath.Dir(path), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func applyMeta(path string, m FileMeta) error {
	// Owner before mode: chown clears setuid/setgid bits on some systems.
	if os.Geteuid() == 0 {
		if err := os.Lchown(path, m.UID, m.GID); err != nil {
			return err
		}
	}
	return os.Chmod(path, m.Mode)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
