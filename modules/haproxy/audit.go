package haproxy

import (
	"harden/modules/module"
)

// Audit judges the proxy in front of the node's API: it runs, starts at
// boot, and its configuration is the API policy the profile asks for
// (every limited command refused, per-client limits, the heavy calls
// bounded). harden's own controls, from the attacks on public nodes.
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(State)
	if !ok {
		return nil
	}
	refs := module.Refs(module.Harden, "API proxy")
	running := module.Finding{Control: "haproxy.running", Title: "haproxy.service running and enabled at boot",
		Refs: refs, Managed: true, Found: st.Active}
	policy := module.Finding{Control: "haproxy.policy", Title: "haproxy.cfg is the profile's API policy",
		Refs: refs, Managed: true}
	switch {
	case !st.Installed:
		running.Status, running.Found = module.Fail, "not installed"
	case st.Offline:
		running.Status = module.Verdict(st.Enabled)
		running.Note = "offline image: enabled at boot is all there is to judge"
	default:
		running.Status = module.Verdict(st.Active == "active" && st.Enabled)
	}
	policy.Status = module.Verdict(st.Exists && st.Config == Render(m.settings))
	if !st.Exists {
		policy.Found = configPath + " is missing"
	}
	return []module.Finding{running, policy}
}
