package firewall

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// writeUnit installs nftables.service under the root as the nftables
// package does.
func writeUnit(t testing.TB, h *host.Host) {
	t.Helper()
	p := h.Path("/lib/systemd/system/" + serviceName)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := "[Unit]\nDescription=nftables\n\n[Service]\nType=oneshot\nExecStart=/usr/sbin/nft -f /etc/nftables.conf\n\n" +
		"[Install]\nWantedBy=sysinit.target\n"
	if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Plan checks what apply needs: on a root without nftables.service
// nothing would load the table at boot and enabling the unit fails, so
// the plan refuses and says what to install; with the unit it plans the
// enable that apply then makes.
func TestPlanRefusesWithoutNftablesService(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	m := decoded(t, "firewall {}")
	m.check = func(context.Context, *host.Host, []byte) error { return nil }
	st, err := m.Read(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Plan(st)
	if err == nil || !strings.Contains(err.Error(), "nftables.service not found") ||
		!strings.Contains(err.Error(), "apt-get install nftables") {
		t.Fatalf("plan without the unit: %v, want a refusal naming nftables.service and the package", err)
	}

	writeUnit(t, h)
	if st, err = m.Read(ctx, h); err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if !sd.Enabled[serviceName] {
		t.Error("nftables.service not enabled")
	}
}

// On the live machine apply also runs `nft -c`: a missing nft binary is
// refused while planning, not halfway through apply.
func TestPlanRefusesWithoutNft(t *testing.T) {
	m := decoded(t, "firewall {}")
	st := converged(m)
	st.Unit, st.NoNft = "/lib/systemd/system/"+serviceName, true
	if _, err := m.Plan(st); err == nil || !strings.Contains(err.Error(), "nft not found") {
		t.Fatalf("plan without nft: %v", err)
	}
}
