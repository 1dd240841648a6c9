package sshd

import (
	"context"
	"testing"

	"harden/modules/module"
)

// A fresh Debian 12 cloud image fails the benchmarks' SSH rows; after
// harden's plan is applied every row passes, and only what does not apply
// (or what harden departs from on purpose) is n/a.
func TestAuditStockFailsHardenedPasses(t *testing.T) {
	files := stockFiles(t)
	files[moduliPath] = moduliFixture
	writeKeyFiles(t, files, rsaHostKey, 2048)
	writeKeyFiles(t, files, ed25519HostKey, 0)
	writeKeyFiles(t, files, ecdsaHostKey, -1)
	h, _ := newRoot(t, files)
	chmod(t, h, configPath, 0o644)
	m := New()
	m.validator = (&recordingValidator{}).check

	st := liveSocketState(t, m, h)
	before := byControl(m.Audit(st))
	for _, id := range []string{"sshd.max-auth-tries", "sshd.config-modes", "sshd.moduli", "sshd.rsa-host-key",
		"sshd.banner", "sshd.allow", "sshd.disable-forwarding", "sshd.macs", "sshd.kex", "sshd.host-keys",
		"sshd.permit-root-login", "sshd.password-authentication", "sshd.debian-banner"} {
		if f := before[id]; f.Status != module.Fail {
			t.Errorf("stock image: %s = %s (%s), want fail", id, f.Status, f.Found)
		}
	}
	if err := m.Apply(context.Background(), h, mustPlan(t, m, st)); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Audit(liveSocketState(t, m, h)) {
		switch {
		case f.Status == module.Fail:
			t.Errorf("after apply: %s (%s) fails: %s %s", f.Control, f.Title, f.Found, f.Note)
		case f.Status == module.NotApplicable && f.Note == "":
			t.Errorf("%s is n/a without saying why", f.Control)
		case len(f.Refs) == 0:
			t.Errorf("%s names no benchmark row", f.Control)
		}
	}
}

func TestAuditBannerLeak(t *testing.T) {
	for text, leak := range map[string]bool{
		"Debian GNU/Linux 12 \\n \\l\n":    true,
		"Ubuntu 24.04 LTS\n":               true,
		"Kernel \\r on an \\m\n":           true,
		defaultBannerText:                  false,
		"Private system. Keep out.\n":      false,
		"Authorized uses only, no linux\n": true,
	} {
		if got := bannerLeak(text) != ""; got != leak {
			t.Errorf("bannerLeak(%q) = %v, want %v", text, got, leak)
		}
	}
}

func TestAuditMaxStartups(t *testing.T) {
	for v, ok := range map[string]bool{"10:30:60": true, "5:50:20": true, "10:30:100": false, "11:30:60": false,
		"10:20:60": false, "10": true, "60": false} {
		if got := maxStartupsOK(v); got != ok {
			t.Errorf("maxStartupsOK(%s) = %v, want %v", v, got, ok)
		}
	}
}

func byControl(fs []module.Finding) map[string]module.Finding {
	out := map[string]module.Finding{}
	for _, f := range fs {
		out[f.Control] = f
	}
	return out
}
