package host_test

import (
	"context"
	"slices"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// Several modules ask for the node's restart and a daemon-reload: each runs
// once, reload first, and a daemon-reload that ran meanwhile counts.
func TestDeferredUnitWorkRunsOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		steps func(h *host.Host)
		want  []string
	}{
		{"nothing asked", func(*host.Host) {}, nil},
		{"three modules", func(h *host.Host) {
			h.DaemonReloadLater()
			h.RestartLater("iri.service")
			h.DaemonReloadLater()
			h.RestartLater("iri.service")
			h.RestartLater("iri.service")
		}, []string{"daemon-reload", "restart iri.service"}},
		{"reloaded meanwhile", func(h *host.Host) {
			h.DaemonReloadLater()
			h.RestartLater("iri.service")
			h.DaemonReload(ctx)
		}, []string{"daemon-reload", "restart iri.service"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, sd := hosttest.New(t)
			tc.steps(h)
			if err := h.RunDeferred(ctx); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sd.Jobs, tc.want) {
				t.Errorf("jobs %q, want %q", sd.Jobs, tc.want)
			}
			if err := h.RunDeferred(ctx); err != nil || len(sd.Jobs) != len(tc.want) {
				t.Errorf("a second RunDeferred ran more jobs: %q (%v)", sd.Jobs, err)
			}
		})
	}
}
