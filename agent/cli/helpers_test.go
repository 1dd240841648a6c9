package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// writeOperator adds a sudo user with an authorized key, as on a real VPS:
// the sshd lockout guard needs someone who keeps a way in.
func writeOperator(t testing.TB, root string) {
	t.Helper()
	for p, text := range map[string]string{
		"etc/passwd":                       "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n",
		"etc/group":                        "root:x:0:\nsudo:x:27:deploy\ndeploy:x:1000:\n",
		"etc/sudoers":                      "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n",
		"home/deploy/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJw1i/HpSbwP66VcN5SirnFOLOZ/PIQikwe8UTrCRjVC deploy@laptop\n",
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// stockImageRoot is an offline root holding a fresh Debian 12 cloud
// image's sshd config (cloud-init's drop-in turning passwords on), an
// operator and an Ed25519 host key.
func stockImageRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"etc/ssh/sshd_config.d", "var/lib"} {
		_ = os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	for from, to := range map[string]string{
		"../../modules/sshd/testdata/debian12_sshd_config": "etc/ssh/sshd_config",
		"../../modules/sshd/testdata/50-cloud-init.conf":   "etc/ssh/sshd_config.d/50-cloud-init.conf",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(root, to), data, 0o644)
	}
	writeOperator(t, root)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
		filepath.Join(root, "etc/ssh/ssh_host_ed25519_key")).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	return root
}
