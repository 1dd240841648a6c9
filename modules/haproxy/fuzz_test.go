package haproxy

import (
	"fmt"
	"strings"
	"testing"

	"harden/modules/module/moduletest"
)

// FuzzRender: whatever haproxy block the decoder accepts renders to the
// same lines as the block with placeholders for the operator's text (node,
// log, addresses, trusted_addresses), each value in its own slot as one
// plain word. So no value can end a line, add a directive or start a
// comment, and HAProxy reads back exactly the values the profile gave.
// CI runs it for a bounded time (make fuzz).
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		`node = "127.0.0.1:14265"`,
		`node = "[::1]:14265"`,
		`node = "localhost\n    stats admin if TRUE\n    server x localhost:14265"`,
		`node = "iri#x:14265"`,
		`log = "/dev/log"`,
		`log = "127.0.0.1:514"`,
		`log = "stdout\r\n    stats admin if TRUE"`,
		`addresses = ["0.0.0.0", "::"]`,
		`addresses = ["fe80::1%eth0\nlisten x"]`,
		`trusted_addresses = ["10.0.0.0/8", "2001:db8::1"]`,
		`allowed_commands = ["getNodeInfo", "attachToTangle"]` + "\n" + `heavy_maxconn_per_ip = 0`,
		`api = "iota-json-rpc"` + "\n" + `cors_origins = ["https://a.example", "http://[::1]:3000"]`,
		`api = "iota-json-rpc"` + "\n" + `max_batch = 2` + "\n" + `websocket = true` + "\n" + `node = "[::1]:9000"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		m := Factory.New().(*Module)
		if !moduletest.FuzzDecode(t, m, "haproxy", body) {
			return
		}
		s := m.Settings()
		words := append(append([]string{s.Node, logTarget(s.Log)}, s.Addresses...), s.TrustedAddresses...)
		if s.JSONRPC != nil {
			words = append(words, s.JSONRPC.CORSOrigins...)
		}
		for _, v := range words {
			if !moduletest.PlainWord(v) {
				t.Fatalf("accepted %q, which is not one plain word", v)
			}
		}
		got, want, repl := renderedWithPlaceholders(s)
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d as with placeholders:\n%s", len(got), len(want), strings.Join(got, "\n"))
		}
		for i := range got {
			if w := repl.Replace(want[i]); got[i] != w {
				t.Fatalf("line %d is %q, want %q", i+1, got[i], w)
			}
		}
	})
}

// renderedWithPlaceholders renders s and s with placeholders for the
// operator's text, and the replacer that puts the values in their slots.
func renderedWithPlaceholders(s Settings) (got, want []string, repl *strings.Replacer) {
	base := s
	base.Node, base.Log = "@NODE@", "@LOG@"
	pairs := []string{"@NODE@", s.Node, "@LOG@", logTarget(s.Log)}
	base.Addresses = nil
	for i, a := range s.Addresses {
		p := fmt.Sprintf("@ADDR%d@", i)
		base.Addresses = append(base.Addresses, p)
		pairs = append(pairs, bindAddr(p, s.Port), bindAddr(a, s.Port))
	}
	base.TrustedAddresses = nil
	for i, a := range s.TrustedAddresses {
		p := fmt.Sprintf("@TRUSTED%d@", i)
		base.TrustedAddresses = append(base.TrustedAddresses, p)
		pairs = append(pairs, p, a)
	}
	return strings.Split(Render(s), "\n"), strings.Split(Render(base), "\n"), strings.NewReplacer(pairs...)
}
