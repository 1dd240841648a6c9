package sshd

import (
	"slices"
	"strings"
	"testing"

	"harden/modules/internal/oneline"
	"harden/modules/module/moduletest"
)

// FuzzManagedBlock: whatever sshd block the decoder accepts, rewritten into
// whatever sshd_config, gives a managed block whose lines sshd splits back
// into exactly the desired values, one managed keyword per line, and
// nothing else: no value can end a line, add a directive (a Match block,
// PermitRootLogin) or hide in a comment. The rest of the file keeps its
// lines, some turned off or given back, and a second rewrite changes
// nothing. CI runs it for a bounded time (make fuzz).
func FuzzManagedBlock(f *testing.F) {
	stock := "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n#PermitRootLogin prohibit-password\nAllowUsers old\n" +
		"Match User backup\n  PasswordAuthentication yes\n"
	for _, seed := range []string{
		`allow_users = ["deploy", "deploy@203.0.113.0/24", "ops-*", "!root"]`,
		`allow_users = ["x\nMatch all\nPermitRootLogin yes"]`,
		`allow_users = ["x\nPermitRootLogin=yes"]`,
		`allow_users = ["a#b", "root\u0000x"]`,
		`allow_groups = ["sshusers", "ops@host"]`,
		`port = [2222, 2200]` + "\n" + `max_startups = "10:30:60"`,
		`authentication_methods = "publickey,password publickey"`,
		`authentication_methods = "publickey\npassword"`,
		`max_startups = "10\n"`,
		`permit_root_login = "no"` + "\n" + `password_authentication = false`,
	} {
		f.Add(seed, stock)
	}
	f.Fuzz(func(t *testing.T, body, config string) {
		m := New()
		if len(config) > 4<<10 || !moduletest.FuzzDecode(t, m, "sshd", body) {
			return
		}
		block := renderBlock(m.want)
		checkBlock(t, block, m.want)
		out := rewriteMain(config, m.want)
		if len(block) == 0 {
			return
		}
		lines := splitLines(out)
		if !slices.Equal(lines[:len(block)], block) {
			t.Fatalf("the file does not open with the managed block:\n%s", out)
		}
		body2, orig := lines[len(block):], removeBlock(splitLines(config))
		if len(body2) != len(orig) {
			t.Fatalf("%d operator lines, want %d:\n%s", len(body2), len(orig), out)
		}
		for i := range orig {
			if strings.TrimPrefix(body2[i], disabledMark) != strings.TrimPrefix(orig[i], disabledMark) {
				t.Fatalf("operator line %d %q became %q", i+1, orig[i], body2[i])
			}
		}
		if again := rewriteMain(out, m.want); again != out {
			t.Fatalf("a second rewrite changed the file:\n%s\n---\n%s", out, again)
		}
	})
}

// checkBlock splits each managed line the way sshd does (words separated
// by spaces; '#', quotes and backslashes would change them) and compares
// the words with the desired values.
func checkBlock(t *testing.T, block []string, want map[string][]string) {
	t.Helper()
	if len(block) == 0 {
		return
	}
	if block[0] != blockBegin || block[len(block)-1] != blockEnd {
		t.Fatalf("block not framed by its markers: %q", block)
	}
	got := map[string][]string{}
	for _, line := range block[1 : len(block)-1] {
		if err := oneline.Check(line); err != nil {
			t.Fatalf("line %q %v", line, err)
		}
		words := strings.Fields(line)
		key := strings.ToLower(words[0])
		if _, ok := want[key]; !ok || len(words) < 2 {
			t.Fatalf("line %q: not a desired keyword with a value", line)
		}
		for _, w := range words[1:] {
			if !moduletest.PlainWord(w) {
				t.Fatalf("line %q: %q is not a plain word", line, w)
			}
		}
		got[key] = append(got[key], words[1:]...)
	}
	for key, vals := range want {
		if w := strings.Fields(strings.Join(vals, " ")); !slices.Equal(got[key], w) {
			t.Fatalf("%s reads back as %q, want %q", key, got[key], w)
		}
	}
}
