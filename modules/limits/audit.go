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
	if ok && m.cfg.Container != "" {
		return m.auditContainer(st)
	}
	if !ok || m.cfg.Unit == "" {
		return nil
	}
	unit := m.cfg.Unit
	configured, process := nofileFindings(fmt.Sprintf("%s: LimitNOFILE %d or more", unit, auditNofile))
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
	configured.Status = module.Verdict(l.Configured >= auditNofile && (l.ConfiguredSoft == 0 || l.ConfiguredSoft >= auditNofile))
	if l.ConfiguredSoft > 0 && l.ConfiguredSoft != l.Configured {
		configured.Found = limitString(l.ConfiguredSoft) + " soft, " + limitString(l.Configured) + " hard"
	}
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

// auditContainer judges a node in a Docker container: the daemon's
// default-ulimits (what runc can give here at most, see planContainer) and
// the container's main process.
func (m *Module) auditContainer(st *State) []module.Finding {
	name := m.cfg.Container
	configured, process := nofileFindings(fmt.Sprintf("%s: default-ulimits nofile %d or more", DaemonJSONPath, auditNofile))
	want := int64(auditNofile)
	if d := st.Docker; d != nil && d.Cap > 0 && d.Cap < uint64(want) {
		want = int64(d.Cap)
		configured.Note = fmt.Sprintf("the environment caps open files at %d (the service manager's own hard limit)", d.Cap)
		process.Note = configured.Note
	}
	have, ok, _ := st.daemon.nofile()
	configured.Found, configured.Status = "unset", module.Fail
	if ok {
		configured.Found, configured.Status = have.String(), module.Verdict(have.Soft >= want && have.Hard >= want)
	}
	d := st.Docker
	switch {
	case st.Offline:
		process.Status, process.Note = module.NotApplicable, "an offline image runs no node"
	case d == nil:
		process.Status, process.Note = module.Fail, "Docker's state could not be read: "+st.DockerErr
	case d.Node == nil || !d.Node.Running:
		process.Status, process.Note = module.NotApplicable, "container "+name+" is not running"
	default:
		process.Found = fmt.Sprintf("%s (container %s, pid %d)", limitString(d.Node.ProcSoft), name, d.Node.PID)
		process.Status = module.Verdict(d.Node.ProcSoft >= uint64(want))
	}
	return []module.Finding{configured, process}
}

// nofileFindings are the two findings of the audit, not judged yet: the
// configured limit (titled) and the running process's.
func nofileFindings(configuredTitle string) (configured, process module.Finding) {
	refs := module.Refs(module.Harden, "open files")
	configured = module.Finding{Control: "limits.configured", Title: configuredTitle, Refs: refs, Managed: true}
	process = module.Finding{Control: "limits.process", Title: fmt.Sprintf("the node's process: %d open files or more", auditNofile),
		Refs: refs, Managed: true}
	return configured, process
}
