package host

import (
	"context"
	"errors"
	"testing"

	"github.com/coreos/go-systemd/v22/util"
)

// On a live machine whose PID 1 is not systemd, reads fall back to the
// unit files and jobs fail with ErrNoSystemd instead of being skipped.
func TestLiveHostWithoutSystemd(t *testing.T) {
	if util.IsRunningSystemd() {
		t.Skip("this machine runs systemd; the fallback is not used here")
	}
	h := New(Options{Root: "/"})
	if _, ok := h.Systemd().(*noSystemd); !ok {
		t.Fatalf("service manager = %T, want the unit-file fallback", h.Systemd())
	}
	if _, err := h.Systemd().IsEnabled(context.Background(), "no-such-unit.service"); err != nil {
		t.Errorf("IsEnabled from unit files: %v", err)
	}
	err := h.Systemd().Run(context.Background(), OpReload, "ssh.service")
	if !errors.Is(err, ErrNoSystemd) {
		t.Errorf("reload without systemd: %v, want ErrNoSystemd", err)
	}
}
