package cli

import (
	"bytes"
	"os/exec"
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
	root := stockImageRoot(b)
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
