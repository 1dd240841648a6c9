package limits

import (
	"fmt"

	"harden/modules/module"
)

// auditNofile is the open-files limit harden's audit asks of the node: the
// default 4096 is what the attacks on public nodes exhausted (README).
const auditNofile = 65535

// Audit judges the node's open-files limit as systemd will give it and as
// the running process has it (/proc/PID/limits).
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(*State)
	if !ok || m.cfg.Unit == "" {
		return nil
	}
	unit := m.cfg.Unit
	refs := module.Refs(module.Harden, "open files")
	configured := module.Finding{Control: "limits.configured", Title: fmt.Sprintf("%s: LimitNOFILE %d or more", unit, auditNofile),
		Refs: refs, Managed: true}
	process := module.Finding{Control: "limits.process", Title: fmt.Sprintf("the node's process: %d open files or more", auditNofile),
		Refs: refs, Managed: true}
	l := st.Live
	switch {
	case st.Offline:
		configured.Status, configured.Note = module.NotApplicable, "an offline image runs no systemd"
		process.Status, process.Note = module.NotApplicable, "an offline image runs no node"
		return []module.Finding{configured, process}
	case l == nil:
		configured.Status, configured.Note = module.Fail, "systemd could not be asked: "+st.LiveErr
		process.Status = module.NotApplicable
		return []module.Finding{configured, process}
	case l.LoadState != "loaded":
		configured.Status, configured.Note = module.NotApplicable, unit+" is not installed ("+l.LoadState+")"
		process.Status, process.Note = module.NotApplicable, unit+" is not installed"
		return []module.Finding{configured, process}
	}
	configured.Found = limitString(l.Configured)
	configured.Status = module.Verdict(l.Configured >= auditNofile)
	want := uint64(auditNofile)
	if l.Cap > 0 && l.Cap < want {
		want = l.Cap
		process.Note = fmt.Sprintf("the environment caps open files at %d (the service manager's own hard limit)", l.Cap)
	}
	switch {
	case l.MainPID == 0:
		process.Status, process.Note = module.NotApplicable, unit+" is not running"
	default:
		process.Found = fmt.Sprintf("%s (pid %d)", limitString(l.ProcSoft), l.MainPID)
		process.Status = module.Verdict(l.ProcSoft >= want)
	}
	return []module.Finding{configured, process}
}
