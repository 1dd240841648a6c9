//go:build root

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkRootAudit is a whole `harden audit` of this machine (profile
// load, every module's live read: sshd -T, netlink, D-Bus where systemd
// runs, /proc; judging, rendering), in-process. The system tier times the
// whole process on a booted VPS.
func BenchmarkRootAudit(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("root tier: the audit reads what only root may")
	}
	if _, err := exec.LookPath("sshd"); err != nil {
		b.Skip("sshd not installed")
	}
	args := []string{"audit", "-profile", "iri-public-node", "-log-level", "error"}
	var out, errw bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if code := Main(args, strings.NewReader(""), &out, &errw); code == ExitError {
			b.Fatalf("audit: %s", errw.String())
		}
	}
}
