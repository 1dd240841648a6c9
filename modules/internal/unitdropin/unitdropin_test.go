package unitdropin

import "testing"

func TestValidUnitName(t *testing.T) {
	for name, want := range map[string]bool{
		"iri.service": true, "getty@tty1.service": true, "ssh.socket": true,
		"iri": false, "../x.service": false, "a/b.service": false, "": false, "x.conf": false,
	} {
		if got := ValidUnitName(name); got != want {
			t.Errorf("ValidUnitName(%q) = %v", name, got)
		}
	}
}

func TestPath(t *testing.T) {
	if got := Path("iri.service", "harden-limits"); got != "/etc/systemd/system/iri.service.d/harden-limits.conf" {
		t.Error(got)
	}
}

func TestValueLastWins(t *testing.T) {
	opts, err := Parse([]byte("[Service]\nLimitNOFILE=1\n[Unit]\nLimitNOFILE=9\n[Service]\nLimitNOFILE=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := Value(opts, "Service", "LimitNOFILE"); !ok || v != "2" {
		t.Errorf("Value = %q, %v", v, ok)
	}
	if _, ok := Value(opts, "Service", "User"); ok {
		t.Error("unset option found")
	}
}
