package sshd

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
	"harden/modules/internal/dpkg"
)

// The installed OpenSSH comes from the package database, without running
// anything.
func TestDetectOpenSSHFromDpkgStatus(t *testing.T) {
	debian12 := readTestdata(t, "dpkg/debian12.status")
	removed := strings.Replace(debian12, "Package: openssh-server\nStatus: install ok installed",
		"Package: openssh-server\nStatus: deinstall ok config-files", 1)
	future := strings.Replace(debian12, "Version: 1:9.2p1-2+deb12u10", "Version: 1:10.7p1-1", -1)
	tests := []struct {
		name, status     string
		pkg, release     string
		warningSubstring string
	}{
		{"Debian 12", debian12, "1:9.2p1-2+deb12u10", "OpenSSH 9.2 (Debian 12's build since 1:9.2p1-2+deb12u4)", ""},
		{"Debian 13", readTestdata(t, "dpkg/debian13.status"), "1:10.0p1-7+deb13u4", "OpenSSH 10.0", ""},
		{"removed, config files left", removed, "", "OpenSSH 9.2", "openssh-server is not installed according to"},
		{"a release newer than the tables", future, "1:10.7p1-1", "OpenSSH 10.6",
			"openssh-server 1:10.7p1-1 is not a release harden has tables for (9.2 to 10.6); planning with OpenSSH 10.6's lists"},
		{"no package database", "", "", "OpenSSH 9.2", "the oldest release harden knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.status != "" {
				files[dpkg.StatusPath] = tt.status
			}
			h, _ := newRoot(t, files)
			o := New().detectOpenSSH(context.Background(), h)
			if o.Package != tt.pkg || o.Release != tt.release {
				t.Errorf("package %q, release %q; want %q, %q", o.Package, o.Release, tt.pkg, tt.release)
			}
			if tt.warningSubstring == "" && o.Warning != "" || !strings.Contains(o.Warning, tt.warningSubstring) {
				t.Errorf("warning %q, want one containing %q", o.Warning, tt.warningSubstring)
			}
			if n := h.Execs(); n != 0 {
				t.Errorf("detection ran %d commands, want none", n)
			}
		})
	}
}

// A version the tables lack is asked of the live binary: the names are
// what `ssh -Q` prints here, the defaults the nearest table's cut to them.
func TestQueriedNamesComeFromTheLiveBinary(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("ssh not installed (apt-get install openssh-client)")
	}
	h := host.New(host.Options{Root: "/", Systemd: &hosttest.Systemd{}})
	newest := releases[len(releases)-1]
	o := New().queried(context.Background(), h, installed{Package: "1:10.7p1-1", Release: newest.String(), rel: newest})
	if !o.Queried || strings.Contains(o.Warning, "failed") {
		t.Fatalf("not queried: %+v", o)
	}
	if n := h.Execs(); n != int64(len(algoQueries)) {
		t.Errorf("%d commands, want one ssh -Q per list", n)
	}
	out, err := exec.Command("ssh", "-Q", "kex").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := o.rel.known[kexKey]; !reflect.DeepEqual(got, strings.Fields(string(out))) {
		t.Errorf("kex names %q, want ssh -Q kex's", got)
	}
	for _, key := range algoKeys {
		for _, a := range o.rel.defaults[key] {
			if !o.rel.knows(key, a) {
				t.Errorf("%s default %s is not a name this ssh knows", key, a)
			}
		}
		if len(o.rel.hardened(key)) == 0 {
			t.Errorf("no hardened %s from the queried names", key)
		}
	}
}
