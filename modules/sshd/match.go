package sshd

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"harden/modules/host"
	"harden/modules/lockout"
	"harden/modules/module"
)

// A Match block is the operator's per-connection choice, and harden leaves
// it alone. But a Match that turns root login or passwords back on undoes
// the hardening for the connections it selects, and plain `sshd -T` (the
// global config) never shows it. So where the config has Match blocks, the
// live read asks sshd for the connections they can select (`sshd -T -C`):
// root, every user a Match names and an unknown user, each from an unknown
// address and from every address a Match names. A value weaker than the
// profile's is a risk: shown on every plan, and drift.

// unknownAddr is an address no Match block names (TEST-NET-3, RFC 5737).
const unknownAddr = "203.0.113.7"

// probeUser stands for any user a Match does not name.
const probeUser = "harden-probe"

// maxMatchProbes bounds the sshd runs one read spends on Match blocks.
const maxMatchProbes = 8

// weakenable are the keywords a Match can use to weaken the profile.
var weakenable = []string{"permitrootlogin", "passwordauthentication", "kbdinteractiveauthentication",
	"authenticationmethods", "permitemptypasswords", "x11forwarding", "allowtcpforwarding",
	"allowagentforwarding", "permittunnel", "permituserenvironment"}

// connection is one `sshd -T -C` question.
type connection struct{ user, addr string }

func (c connection) spec() string {
	return fmt.Sprintf("user=%s,host=%s,addr=%s", c.user, c.addr, c.addr)
}

func (c connection) String() string {
	who := "user " + c.user
	if c.user == probeUser {
		who = "any other user"
	}
	if c.addr == unknownAddr {
		return who + " from an unknown address"
	}
	return who + " from " + c.addr
}

// matchConnections are the connections worth asking about, or nil when no
// config file has a Match block.
func matchConnections(files map[string]string) []connection {
	users, addrs := []string{"root"}, []string{unknownAddr}
	found := false
	for _, text := range files {
		for i, raw := range splitLines(text) {
			l := parseLine(i+1, raw)
			if l.keyword != "match" {
				continue
			}
			found = true
			crit := args(l.value)
			for j := 0; j+1 < len(crit); j += 2 {
				for _, v := range strings.Split(crit[j+1], ",") {
					switch strings.ToLower(crit[j]) {
					case "user":
						if literal(v) && !slices.Contains(users, v) {
							users = append(users, v)
						}
					case "address":
						if a, ok := firstAddr(v); ok && !slices.Contains(addrs, a) {
							addrs = append(addrs, a)
						}
					}
				}
			}
		}
	}
	if !found {
		return nil
	}
	users = append(users, probeUser)
	var out []connection
	for _, u := range users {
		for _, a := range addrs {
			if len(out) < maxMatchProbes {
				out = append(out, connection{u, a})
			}
		}
	}
	return out
}

// literal: a pattern without wildcards or negation names one thing.
func literal(v string) bool { return v != "" && !strings.ContainsAny(v, "*?!") }

// firstAddr is the address a Match Address pattern selects first: the
// address itself, or a CIDR's network address.
func firstAddr(v string) (string, bool) {
	if !literal(v) {
		return "", false
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked().Addr().String(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return a.String(), true
	}
	return "", false
}

// readMatchRisks asks sshd about each connection and keeps the values
// weaker than the profile's. An sshd that cannot answer is a warning.
func (m *Module) readMatchRisks(ctx context.Context, h *host.Host, st *State) {
	for _, c := range matchConnections(st.Files) {
		out, err := m.runSSHD(ctx, h, "-T", "-C", c.spec())
		if err != nil {
			st.Warnings = append(st.Warnings, fmt.Sprintf("sshd -T -C %s failed, Match blocks not checked: %v", c.spec(), err))
			return
		}
		for _, r := range m.weakerFor(c, parseDump(string(out)), st.occ) {
			if !slices.Contains(st.Risks, r) {
				st.Risks = append(st.Risks, r)
			}
		}
	}
}

// weakerFor lists the profile's settings that a connection gets weaker.
func (m *Module) weakerFor(c connection, dump map[string][]string, occ []occurrence) []module.Risk {
	if !admitted(c, dump["allowusers"]) {
		return nil // AllowUsers keeps this connection out whatever else it gets
	}
	var out []module.Risk
	for _, key := range weakenable {
		want, managed := m.want[key]
		got := dump[key]
		if !managed || len(want) == 0 || len(got) == 0 || !weaker(key, want[0], got[0]) {
			continue
		}
		if key == "permitrootlogin" && c.user != "root" {
			continue
		}
		kw := settingByKey[key].keyword
		msg := fmt.Sprintf("%s gets %s %s (the profile says %s)", c, kw, got[0], want[0])
		if src := matchSource(occ, key); src != "" {
			msg += ": " + src + " is inside a Match block; harden leaves Match blocks to you"
		}
		out = append(out, module.Risk{Address: "sshd.match[" + kw + "]", Message: msg})
	}
	return out
}

// weaker reports whether got allows more than want.
func weaker(key, want, got string) bool {
	want, got = normalize(key, want), normalize(key, got)
	if want == got {
		return false
	}
	switch key {
	case "permitrootlogin":
		rank := map[string]int{"no": 0, "forced-commands-only": 1, "prohibit-password": 2, "without-password": 2, "yes": 3}
		return rank[got] > rank[want]
	case "authenticationmethods":
		return got == "any" || strings.Contains(got, "password") || strings.Contains(got, "keyboard-interactive")
	}
	return want == "no"
}

// matchSource names the first Match-block line that sets key.
func matchSource(occ []occurrence, key string) string {
	for _, o := range occ {
		if o.match && o.keyword == key {
			return fmt.Sprintf("%s: %q", o.where(), settingByKey[key].keyword+" "+o.value)
		}
	}
	return ""
}

// admitted reports whether the connection's AllowUsers (as sshd -T -C
// prints it) lets its user in; an empty list admits everyone.
func admitted(c connection, allowUsers []string) bool {
	patterns := strings.Fields(strings.Join(allowUsers, " "))
	if len(patterns) == 0 {
		return true
	}
	addr, _ := netip.ParseAddr(c.addr)
	for _, p := range patterns {
		if lockout.MatchUser(c.user, addr, p) {
			return true
		}
	}
	return false
}
