// Package confirm is commit-confirmed apply: before an apply that can cut
// SSH access (sshd, firewall) changes anything, a rollback is armed that
// runs unless the operator confirms from a new session in time.
//
// Three things make it hold:
//   - pending.json under /var/lib/harden, written first (fsync, rename);
//   - a transient systemd timer (harden-rollback.timer + .service, created
//     over D-Bus) that runs `harden rollback RUN-ID` at the deadline;
//   - a boot-time unit (harden-pending-rollback.service) that rolls back a
//     pending run at boot: a reboot inside the window loses the timer but
//     not the rollback.
package confirm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"harden/modules/host"
)

// DefaultWindow is how long the operator has to confirm.
const DefaultWindow = 5 * time.Minute

// Unit names.
const (
	TimerUnit   = "harden-rollback.timer"
	ServiceUnit = "harden-rollback.service"
	BootUnit    = "harden-pending-rollback.service"
)

// Pending is an apply waiting for `harden confirm`.
type Pending struct {
	Run      string    `json:"run"`
	Deadline time.Time `json:"deadline"`
	// HeldPorts are SSH ports kept open only until confirm (the old port of
	// a two-phase move). Confirm removes them by applying Profile again.
	HeldPorts []int `json:"held_ports,omitempty"`
	// FinalPorts are the SSH ports the profile wants after the move; a
	// confirm must come from a session on one of them.
	FinalPorts []int   `json:"final_ports,omitempty"`
	Profile    Profile `json:"profile"`
}

// Profile is what confirm needs to apply the second phase: the profile as
// it was applied (not as the file is now) and its variables.
type Profile struct {
	Name     string   `json:"name"`
	Source   []byte   `json:"source"`
	Vars     []string `json:"vars,omitempty"`
	VarFiles []string `json:"var_files,omitempty"`
	Targets  []string `json:"targets,omitempty"`
}

func path(h *host.Host) string { return h.Path("/var/lib/harden/pending.json") }

// Load returns the pending confirmation, or nil when there is none.
func Load(h *host.Host) (*Pending, error) {
	data, err := os.ReadFile(path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Pending
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("pending.json: %w", err)
	}
	return &p, nil
}

// save writes pending.json durably (temp, fsync, rename).
func save(h *host.Host, p *Pending) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	file := path(h)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// Clear removes the pending state (after confirm or rollback).
func Clear(h *host.Host) error {
	err := os.Remove(path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
