package firewall

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

func TestFindContainers(t *testing.T) {
	h, _ := hosttest.New(t)
	if found := findContainers(h, netState{links: []string{"lo", "eth0", "br0", "wg0"},
		tables: []string{"inet filter"}, chains: []string{"inet filter input"}}); found != nil {
		t.Errorf("a host without containers: found %+v", found)
	}
	unit := h.Path("/usr/lib/systemd/system/libvirtd.service")
	if err := os.MkdirAll(filepath.Dir(unit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unit, []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := findContainers(h, netState{
		links:  []string{"lo", "eth0", "docker0", "br-5f2c1a", "veth12ab"},
		tables: []string{"ip nat", "ip filter", "ip6 docker-bridges"},
		chains: []string{"ip nat DOCKER", "ip filter FORWARD", "ip filter DOCKER-USER"},
	})
	want := []Containers{
		{Name: "Docker", Bridges: []string{"docker0", "br-*"}, Evidence: []string{"bridge docker0", "bridge br-5f2c1a",
			"table ip6 docker-bridges", "chain DOCKER in table ip nat", "chain DOCKER-USER in table ip filter"}},
		{Name: "libvirt", Bridges: []string{"virbr*"}, Evidence: []string{"unit libvirtd.service"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("found\n%+v\nwant\n%+v", got, want)
	}
}

// Offline, an image with Docker installed gets the container chains in
// the file nftables.service loads at boot, and the plan says why.
func TestOfflinePlanWithDocker(t *testing.T) {
	h, _ := hosttest.New(t)
	writeUnit(t, h)
	unit := h.Path("/lib/systemd/system/docker.service")
	if err := os.WriteFile(unit, []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := decoded(t, "firewall {}")
	m.check = func(context.Context, *host.Host, []byte) error { return nil }
	p, _ := planOf(t, m, h)
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, "container networking found: Docker (unit docker.service)") ||
		!strings.Contains(notes, "(tcp 22, 14267, 15600)") {
		t.Errorf("notes: %q", p.Notes)
	}
	file := p.Changes[0].After
	for _, want := range []string{"chain prerouting {", `iifname "br-*" accept`, "ct status dnat accept"} {
		if !strings.Contains(file, want) {
			t.Errorf("persisted file lacks %q:\n%s", want, file)
		}
	}
}
