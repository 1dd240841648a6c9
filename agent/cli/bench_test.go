package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPlanConverged measures a whole `harden plan` (profile load,
// read, plan, render) of the default profile on an offline root that has
// already been converged. Needs sshd (apply validates with sshd -t).
func BenchmarkPlanConverged(b *testing.B) {
	if _, err := exec.LookPath("sshd"); err != nil {
		b.Skip("sshd not installed")
	}
	root := b.TempDir()
	for _, d := range []string{"etc/ssh/sshd_config.d", "var/lib"} {
		_ = os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	for from, to := range map[string]string{
		"../../modules/sshd/testdata/debian12_sshd_config": "etc/ssh/sshd_config",
		"../../modules/sshd/testdata/50-cloud-init.conf":   "etc/ssh/sshd_config.d/50-cloud-init.conf",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			b.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(root, to), data, 0o644)
	}
	writeOperator(b, root)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
		filepath.Join(root, "etc/ssh/ssh_host_ed25519_key")).CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen: %v %s", err, out)
	}
	args := []string{"-root", root, "-profile", "iri-node", "-target", "sshd", "-log-level", "error"}
	var out, errw bytes.Buffer
	if code := Main(append([]string{"apply", "-auto-approve"}, args...), strings.NewReader(""), &out, &errw); code != 0 {
		b.Fatalf("converge: exit %d: %s", code, errw.String())
	}
	plan := append([]string{"plan", "-detailed-exitcode"}, args...)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		if code := Main(plan, strings.NewReader(""), &out, &errw); code != 0 {
			b.Fatalf("plan on a converged root: exit %d: %s", code, out.String())
		}
	}
}
