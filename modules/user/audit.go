package user

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"harden/modules/host"
	"harden/modules/module"
)

// liveUnit is the node's unit as systemd and the kernel see it: who its
// process runs as and its sandbox (read over D-Bus).
type liveUnit struct {
	// LoadState is systemd's ("loaded", "not-found"...).
	LoadState string
	MainPID   uint32
	// ProcUID is the real uid in /proc/PID/status; -1 when unknown.
	ProcUID int
	// Sandbox holds the unit's sandbox properties, by name.
	Sandbox map[string]string
}

// sandboxProps are the unit properties the profile's drop-in sets.
var sandboxProps = []string{"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices"}

// readLiveUnit asks systemd for the unit's main process and sandbox, and
// the kernel for the process's uid.
func readLiveUnit(ctx context.Context, h *host.Host, unit string) *liveUnit {
	l := &liveUnit{ProcUID: -1, Sandbox: map[string]string{}}
	sd := h.Systemd()
	if v, err := sd.Property(ctx, unit, "LoadState"); err == nil {
		l.LoadState = fmt.Sprint(v)
	}
	if l.LoadState != "loaded" {
		return l
	}
	if v, err := sd.Property(ctx, unit, "MainPID"); err == nil {
		pid, _ := strconv.ParseUint(fmt.Sprint(v), 10, 32)
		l.MainPID = uint32(pid)
	}
	for _, p := range sandboxProps {
		if v, err := sd.Property(ctx, unit, p); err == nil {
			l.Sandbox[p] = fmt.Sprint(v)
		}
	}
	if l.MainPID > 0 {
		l.ProcUID = procUID(h, int(l.MainPID))
	}
	return l
}

// procUID is a process's real uid in /proc/PID/status; -1 when unknown.
func procUID(h *host.Host, pid int) int {
	status, err := h.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			if uid, err := strconv.Atoi(f[1]); err == nil {
				return uid
			}
		}
	}
	return -1
}

// userProcesses are the pids of the processes running as uid.
func userProcesses(h *host.Host, uid int) []int {
	entries, err := h.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && procUID(h, pid) == uid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Audit judges the node's account and, live, its process and sandbox
// (harden's own controls: a node stalled through its API must not hand
// the attacker root).
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(*State)
	if !ok {
		return nil
	}
	c := m.cfg
	refs := module.Refs(module.Harden, "node user")
	account := module.Finding{Control: m.Name() + ".account", Title: c.Name + ": a system account without a login shell",
		Refs: refs, Managed: true}
	u, exists := st.DB.User(c.Name)
	switch {
	case !exists:
		account.Status, account.Found = module.Fail, "no such user"
	default:
		account.Found = fmt.Sprintf("uid %d, %s", u.UID, u.Shell)
		account.Status = module.Verdict(u.UID != 0 && (strings.HasSuffix(u.Shell, "nologin") || u.Shell == "/bin/false"))
	}
	out := []module.Finding{account}
	if c.Unit == "" || !c.RunUnitAsUser {
		return out
	}
	proc := module.Finding{Control: m.Name() + ".process", Title: c.Unit + " runs as " + c.Name + ", not root",
		Refs: refs, Managed: true}
	sandbox := module.Finding{Control: m.Name() + ".sandbox", Refs: refs, Managed: true,
		Title: c.Unit + " sandboxed: NoNewPrivileges etc."}
	l := st.Live
	switch {
	case st.Offline || l == nil:
		proc.Status, proc.Note = module.NotApplicable, "an offline image runs no node"
		sandbox.Status, sandbox.Note = module.NotApplicable, "an offline image runs no systemd"
		return append(out, proc, sandbox)
	case l.LoadState != "loaded":
		proc.Status, proc.Note = module.NotApplicable, c.Unit+" is not installed ("+l.LoadState+")"
		sandbox.Status, sandbox.Note = module.NotApplicable, c.Unit+" is not installed"
		return append(out, proc, sandbox)
	case l.MainPID == 0 || l.ProcUID < 0:
		proc.Status, proc.Note = module.NotApplicable, c.Unit+" is not running"
	default:
		proc.Found = fmt.Sprintf("uid %d (pid %d)", l.ProcUID, l.MainPID)
		proc.Status = module.Verdict(exists && l.ProcUID == u.UID && l.ProcUID != 0)
	}
	var weak []string
	for _, p := range sandboxProps {
		if v := l.Sandbox[p]; v == "" || v == "false" || v == "no" {
			weak = append(weak, p+"="+v)
		}
	}
	sandbox.Status = module.Verdict(len(weak) == 0)
	sandbox.Found = strings.Join(weak, " ")
	if len(l.Sandbox) == 0 {
		sandbox.Status, sandbox.Note = module.NotApplicable, "systemd could not be asked about "+c.Unit
	}
	return append(out, proc, sandbox)
}
