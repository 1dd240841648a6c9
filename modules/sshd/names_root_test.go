//go:build root

package sshd

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"harden/modules/module/moduletest"
)

// TestRootNamePatternsReadBack: every user and group pattern the profile
// accepts passes `sshd -t` and comes back from `sshd -T` as written.
func TestRootNamePatternsReadBack(t *testing.T) {
	needSSHD(t)
	m := New()
	if d := moduletest.Decode(t, m, namePatternProfile, nil); d.HasErrors() {
		t.Fatal(d.Error())
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	block := renderBlock(map[string][]string{"allowusers": m.want["allowusers"], "allowgroups": m.want["allowgroups"]})
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(strings.Join(block, "\n")+"\nHostKey "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sshd", "-T", "-f", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("sshd -T: %v: %s", err, out)
	}
	dump := parseDump(string(out))
	for key, want := range map[string][]string{"allowusers": m.want["allowusers"], "allowgroups": m.want["allowgroups"]} {
		if got := dump[key]; !slices.Equal(got, want) {
			t.Errorf("sshd -T %s = %q, want %q", key, got, want)
		}
	}
}
