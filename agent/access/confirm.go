// Package access is the one home of "never lock the operator out": which
// applies can cut SSH access (modules declare it: module.AccessCutter), the
// two-phase SSH port move (module.SSHListener, module.SSHPortHolder), and
// commit-confirmed apply: before such an apply changes anything, a rollback
// is armed that runs unless the operator confirms in time over a NEW SSH
// connection (session.go says what counts as one).
//
// Three things make the rollback hold:
//   - pending.json in harden's state directory, written first (agent/store);
//   - a transient systemd timer named after the run
//     (harden-rollback-RUN-ID.timer + .service, created over D-Bus) that
//     runs `harden rollback -pending RUN-ID` at the deadline;
//   - a boot-time unit (harden-pending-rollback.service) that rolls back a
//     pending run at boot: a reboot inside the window loses the timer but
//     not the rollback.
package access

import (
	"fmt"
	"time"

	"harden/agent/store"
	"harden/modules/host"
)

// DefaultWindow is how long the operator has to confirm.
const DefaultWindow = 5 * time.Minute

// BootUnit rolls back a pending run at boot.
const BootUnit = "harden-pending-rollback.service"

// TimerUnit is a run's transient rollback timer, named after the run so
// that no two runs' timers can be mistaken for one another.
func TimerUnit(run string) string { return "harden-rollback-" + run + ".timer" }

// ServiceUnit is the transient service its timer starts.
func ServiceUnit(run string) string { return "harden-rollback-" + run + ".service" }

// Pending is an apply waiting for `harden confirm`; there is at most one.
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
	// Applied is when the apply finished (nil while it runs, or if it was
	// cut off): a confirm must come over a connection made after it.
	Applied *BootTime `json:"applied,omitempty"`
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

// pendingFile is the pending confirmation in the state directory; the
// boot-time unit's ConditionPathExists names it too.
const pendingFile = "pending.json"

// Load returns the pending confirmation, or nil when there is none.
func Load(h *host.Host) (*Pending, error) {
	var p Pending
	found, err := store.Of(h).Load(pendingFile, &p)
	if !found || err != nil {
		return nil, err
	}
	return &p, nil
}

// save writes pending.json durably.
func save(h *host.Host, p *Pending) error { return store.Of(h).Save(pendingFile, p) }

// MarkApplied records that run finished applying, now on the boot clock.
func MarkApplied(h *host.Host, run string) error {
	p, err := Load(h)
	if err != nil || p == nil || p.Run != run {
		return err
	}
	now, err := Now(procDir)
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	p.Applied = &now
	return save(h, p)
}

// procDir is the process table: the running system's, also under -root
// (a confirm is about the sessions of this machine).
const procDir = "/proc"

// Clear removes the pending state (after confirm or rollback).
func Clear(h *host.Host) error { return store.Of(h).Remove(pendingFile) }
