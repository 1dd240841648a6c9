package iota

import (
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"harden/modules/module"
)

// planProxyHops makes the node's traffic controller read the client from
// X-Forwarded-For, ProxyHops entries from the end. iota-node takes the
// first X-Forwarded-For header it finds and counts from its end: the proxy
// must replace whatever header the client sent (the haproxy gateway does),
// or a client names its own address.
func (m *Module) planProxyHops(d *doc, p *module.Plan) (module.Field, bool, error) {
	hops := m.cfg.ProxyHops
	if hops == 0 {
		return module.Field{}, false, nil
	}
	want := fmt.Sprintf("x-forwarded-for: %d", hops)
	field := module.Field{Name: "policy-config.client-id-source", After: want}
	text := "{" + want + "}"
	pk, pv := d.lookup("policy-config")
	switch {
	case pk == nil:
		if err := d.appendTop(fmt.Sprintf("policy-config:\n  client-id-source:\n    x-forwarded-for: %d\n", hops)); err != nil {
			return module.Field{}, false, err
		}
		field.BeforeUnset = true
		p.Notes = append(p.Notes, "policy-config was not set: the one harden adds names only client-id-source, so the "+
			"traffic controller's spam and error policies are off (iota-node's own default, where it has one, is a "+
			"dry-run policy that only logs)")
		m.spoofWarning(d, p)
		return field, true, nil
	case pv.Kind == yaml.ScalarNode && pv.Tag == "!!null":
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s:%d: policy-config is null, which turns iota-node's traffic controller off: "+
			"harden leaves it off, and X-Forwarded-For is not read", path.Base(d.path), pk.Line))
		return module.Field{}, false, nil
	case pv.Kind != yaml.MappingNode:
		return module.Field{}, false, fmt.Errorf("%s:%d: policy-config is not a mapping", d.path, pk.Line)
	}
	ck, cv := child(pv, "client-id-source")
	if ck == nil {
		if pv.Style&yaml.FlowStyle != 0 {
			return module.Field{}, false, fmt.Errorf("%s:%d: policy-config is a flow mapping; add client-id-source by hand", d.path, pk.Line)
		}
		field.BeforeUnset = true
		m.spoofWarning(d, p)
		return field, true, d.insertChild(pk, pv, "client-id-source", text)
	}
	field.Before = clientIDSource(cv)
	if field.Before == want {
		m.spoofWarning(d, p)
		return module.Field{}, false, nil
	}
	m.spoofWarning(d, p)
	flow := pv.Style&yaml.FlowStyle != 0
	if xk, xv := child(cv, "x-forwarded-for"); xk != nil && xv.Kind == yaml.ScalarNode && len(cv.Content) == 2 {
		return field, true, d.replaceValue(xv, cv.Style&yaml.FlowStyle != 0, strconv.Itoa(hops))
	}
	if cv.Kind == yaml.MappingNode && cv.Style&yaml.FlowStyle == 0 {
		return module.Field{}, false, fmt.Errorf("%s:%d: client-id-source is not one setting; edit it by hand", d.path, ck.Line)
	}
	return field, true, d.replaceValue(cv, flow, text)
}

// clientIDSource renders the current client-id-source the way the plan
// shows it ("socket-addr", "x-forwarded-for: 2").
func clientIDSource(v *yaml.Node) string {
	if v.Kind == yaml.ScalarNode {
		return v.Value
	}
	var parts []string
	for i := 0; i+1 < len(v.Content); i += 2 {
		parts = append(parts, v.Content[i].Value+": "+v.Content[i+1].Value)
	}
	return strings.Join(parts, ", ")
}

// spoofWarning: a node that trusts X-Forwarded-For must not be reachable
// without the proxy that sets it.
func (m *Module) spoofWarning(d *doc, p *module.Plan) {
	if m.cfg.Container != "" {
		return // the container's own address: the published ports decide (liveWarnings)
	}
	rpc := m.cfg.Listeners[0].want
	if rpc == "" {
		var set bool
		if rpc, set = d.scalar("json-rpc-address"); !set {
			rpc = m.cfg.Listeners[0].def
		}
	}
	if ap, err := netip.ParseAddrPort(rpc); err == nil && ap.Addr().IsLoopback() {
		return
	}
	p.Warnings = append(p.Warnings, fmt.Sprintf("the node trusts X-Forwarded-For while JSON-RPC listens on %s: "+
		"a client that reaches it without the proxy can name any address as its own", rpc))
}

// serverTypeWarning: over WebSocket, JSON-RPC messages pass a proxy
// unread.
func (m *Module) serverTypeWarning(d *doc, p *module.Plan) {
	v, _ := d.scalar("jsonrpc-server-type")
	if !m.proxied || v != "websocket" && v != "both" {
		return
	}
	p.Warnings = append(p.Warnings, fmt.Sprintf("%s sets jsonrpc-server-type: %s: HAProxy does not read WebSocket messages, "+
		"so over WebSocket every method (dev-inspect and unsafe_* included) reaches the node, bounded only by the "+
		"gateway's connection caps; the http default serves JSON-RPC over HTTP alone", path.Base(d.path), v))
}

// adminWarning: the admin interface changes logging and tracing and
// can close an epoch on a test network; iota-node binds it to loopback
// unless the file says otherwise.
func adminWarning(d *doc, p *module.Plan) {
	v, ok := d.scalar("admin-interface-address")
	if !ok {
		return
	}
	if ap, err := netip.ParseAddrPort(v); err == nil && ap.Addr().IsLoopback() {
		return
	}
	p.Warnings = append(p.Warnings, fmt.Sprintf("%s binds the admin interface to %s: it must stay on loopback (127.0.0.1:1337)",
		path.Base(d.path), v))
}

// liveWarnings names the node's ports that something listens on beyond
// loopback right now (the running node keeps the addresses it started
// with until it restarts).
func (m *Module) liveWarnings(p *module.Plan, st *State, d *doc) {
	if st.Listening == nil {
		return
	}
	ports := m.nodePorts(d)
	for _, ap := range st.Listening {
		what, ok := ports[ap.Port()]
		if !ok || ap.Addr().IsLoopback() {
			continue
		}
		w := fmt.Sprintf("live: a socket listens on %s (the node's %s port) on more than loopback", ap, what)
		switch {
		case m.cfg.Container != "":
			w += fmt.Sprintf("; publish the container's port on the host's loopback only (-p 127.0.0.1:%d:%d)", ap.Port(), ap.Port())
		case m.cfg.Unit != "":
			w += fmt.Sprintf("; iota-node binds what %s says when it starts (restart %s)", path.Base(m.cfg.Path), m.cfg.Unit)
		}
		p.Warnings = append(p.Warnings, w)
	}
}

// nodePorts are the ports of the node's local services, as the file sets
// them (or iota-node's defaults) and as the profile wants them.
func (m *Module) nodePorts(d *doc) map[uint16]string {
	ports := map[uint16]string{1337: "admin"}
	add := func(addr, what string) {
		if ap, err := netip.ParseAddrPort(addr); err == nil {
			ports[ap.Port()] = what
		}
	}
	for _, l := range m.cfg.Listeners {
		add(l.def, l.what)
		add(l.want, l.what)
		if d != nil {
			if v, ok := d.scalar(l.keys...); ok {
				add(v, l.what)
			}
		}
	}
	if d != nil {
		if v, ok := d.scalar("admin-interface-address"); ok {
			add(v, "admin")
		}
		if v, ok := d.scalar("admin-interface-port"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				ports[uint16(n)] = "admin"
			}
		}
	}
	return ports
}
