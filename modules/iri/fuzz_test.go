package iri

import (
	"strings"
	"testing"

	"harden/modules/internal/oneline"
	"harden/modules/module/moduletest"
)

// FuzzPlanFile: whatever iri block the decoder accepts, planned onto
// whatever ini file, gives a file whose [IRI] keys are the old file's plus
// the managed ones, each managed key reading back exactly its value: no
// setting can add a key line, end a line or hide in a comment. CI runs it
// for a bounded time (make fuzz).
func FuzzPlanFile(f *testing.F) {
	ini := []byte("# IRI\n[IRI]\nPORT = 14265\nNEIGHBORS = tcp://a:15600\n; c\n[OTHER]\nX = 1\n")
	for _, seed := range []string{
		`settings = { NEIGHBORS = "tcp://node1.example:15600 udp://[2001:db8::1]:14600" }`,
		`settings = { DEBUG = "false\r\nREMOTE_LIMIT_API = " }`,
		`settings = { REMOTE_AUTH = "user:pa#ss" }`,
		`settings = { ZMQ_ENABLED = "true", "X\nY" = "1" }`,
		`api_host = "127.0.0.1\nREMOTE_LIMIT_API = "`,
		`api_host = "::1"` + "\n" + `port = 14600`,
		`remote_limit_api = ["getNeighbors", "addNeighbors"]`,
		`remote_limit_api = null` + "\n" + `port = null`,
	} {
		f.Add(seed, ini)
		f.Add(seed, []byte(""))
	}
	f.Fuzz(func(t *testing.T, body string, existing []byte) {
		m := &Module{}
		if len(existing) > 4<<10 || !moduletest.FuzzDecode(t, m, "iri", body) {
			return
		}
		wanted := m.cfg.wanted()
		for _, kv := range wanted {
			if err := oneline.Check(kv[1]); err != nil || strings.TrimSpace(kv[1]) != kv[1] {
				t.Fatalf("accepted %s = %q, which is not one plain line", kv[0], kv[1])
			}
		}
		p, err := m.Plan(&State{Data: existing})
		if err != nil {
			t.Fatal(err)
		}
		after := string(existing)
		if len(p.Changes) > 0 && p.Changes[0].Data.(fileChange).Data != nil {
			after = p.Changes[0].After
		}
		before, doc := parseINI(existing), parseINI([]byte(after))
		keys := iniKeys(before)
		for _, kv := range wanted {
			keys[section+"."+kv[0]] = true
			got, ok := doc.get(section, kv[0])
			if !ok || got != kv[1] && !(kv[0] == keyRemoteLimitAPI && sameCommands(got, m.cfg.RemoteLimitAPI)) {
				t.Fatalf("%s reads back as %q (%v), want %q", kv[0], got, ok, kv[1])
			}
		}
		if got := iniKeys(doc); !sameSet(got, keys) {
			t.Fatalf("keys %v, want the old file's and the managed ones %v:\n%s", got, keys, after)
		}
	})
}

// iniKeys is the set of section.key the document sets.
func iniKeys(d *iniDoc) map[string]bool {
	keys := map[string]bool{}
	for _, l := range d.lines {
		if l.key != "" {
			keys[l.section+"."+l.key] = true
		}
	}
	return keys
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
