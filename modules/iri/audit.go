package iri

import (
	"fmt"
	"slices"
	"strings"

	"harden/modules/module"
)

// Audit judges the node's API settings in its ini file: the commands that
// let a stranger reconfigure the node or burn its CPU are refused to
// remote callers, and behind a proxy the API listens on loopback only
// (harden's own controls, from the attacks on public nodes).
func (m *Module) Audit(state module.State) []module.Finding {
	st, ok := state.(*State)
	if !ok {
		return nil
	}
	refs := module.Refs(module.Harden, "node API")
	limit := module.Finding{Control: "iri.remote-limit-api", Managed: true, Refs: refs,
		Title: "REMOTE_LIMIT_API refuses the dangerous commands"}
	host := module.Finding{Control: "iri.api-host", Managed: true, Refs: refs,
		Title: "API_HOST loopback when HAProxy fronts the API"}
	if st.Data == nil {
		limit.Status, limit.Found = module.Fail, m.cfg.Path+" is missing"
		host.Status, host.Note = module.NotApplicable, m.cfg.Path+" is missing"
		return []module.Finding{limit, host}
	}
	doc := parseINI(st.Data)
	value, _ := doc.get(section, keyRemoteLimitAPI)
	listed := listSep.Split(strings.TrimSpace(value), -1)
	var open []string
	for _, c := range DefaultRemoteLimitAPI {
		if !slices.Contains(listed, c) {
			open = append(open, c)
		}
	}
	limit.Status = module.Verdict(len(open) == 0)
	limit.Found = fmt.Sprintf("%d of %d refused", len(DefaultRemoteLimitAPI)-len(open), len(DefaultRemoteLimitAPI))
	if len(open) > 0 {
		limit.Note = "open to remote callers: " + strings.Join(open, ", ")
	}
	apiHost, _ := doc.get(section, keyAPIHost)
	host.Found = apiHost
	switch {
	case !m.proxied:
		host.Status, host.Note = module.NotApplicable, "no haproxy block fronts the API"
	default:
		host.Status = module.Verdict(apiHost == "127.0.0.1" || apiHost == "localhost" || apiHost == "::1")
	}
	return []module.Finding{limit, host}
}
