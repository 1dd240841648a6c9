package host_test

import (
	"os"
	"path/filepath"
	"testing"

	"harden/modules/host"
)

// BenchmarkReadFile is one read of a config three directories deep through
// the jail, with each resolver, next to a plain os.ReadFile of the same
// file: what resolving inside the root costs per read.
func BenchmarkReadFile(b *testing.B) {
	root := b.TempDir()
	file := filepath.Join(root, "etc/ssh/sshd_config.d/50-cloud-init.conf")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, make([]byte, 3000), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("os", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadFile(file); err != nil {
				b.Fatal(err)
			}
		}
	})
	h := host.New(host.Options{Root: root})
	for _, r := range host.Resolvers {
		b.Run(r, func(b *testing.B) {
			defer host.UseResolver(r)()
			for b.Loop() {
				if _, err := h.ReadFile("/etc/ssh/sshd_config.d/50-cloud-init.conf"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
