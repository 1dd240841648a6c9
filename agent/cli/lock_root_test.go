//go:build root

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/agent/store"
)

// While another harden changes the machine, apply and rollback wait a
// bounded time, then refuse naming the holder, and change nothing.
func TestChangingVerbsWaitForTheLockThenNameItsHolder(t *testing.T) {
	root := stockRoot(t)
	orig, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))
	profile := filepath.Join(t.TempDir(), "p.hcl")
	if err := os.WriteFile(profile, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(w time.Duration) { lockWait = w }(lockWait)
	lockWait = 300 * time.Millisecond
	held, err := store.At(filepath.Join(root, store.Dir)).Lock(context.Background(), "apply", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"apply", "-auto-approve", "-root", root, "-profile", profile},
		{"rollback", "-root", root},
	} {
		code, _, errs := run(t, args...)
		if code != ExitError || !strings.Contains(errs, "(apply)") || !strings.Contains(errs, "pid ") {
			t.Errorf("%s while locked: exit %d, want 1 naming the holder; stderr:\n%s", args[0], code, errs)
		}
	}
	if now, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !bytes.Equal(now, orig) {
		t.Error("an apply refused for the lock changed sshd_config")
	}
	// Released while an apply waits: that apply goes ahead.
	lockWait = 10 * time.Second
	go func() {
		time.Sleep(200 * time.Millisecond)
		held.Release()
	}()
	if code, out, errs := run(t, "apply", "-auto-approve", "-root", root, "-profile", profile); code != ExitOK {
		t.Fatalf("apply after the holder let go: exit %d\n%s\n%s", code, out, errs)
	}
}
