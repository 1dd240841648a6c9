package cli

import (
	"os"
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
