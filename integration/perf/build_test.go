//go:build system

package perf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"harden/integration/vps"
)

// buildRelease builds harden the way `make build` does (static, stripped)
// and the .deb from it, returning both paths.
func buildRelease(t *testing.T, dir string) (bin, deb string) {
	t.Helper()
	root := moduleRoot(t)
	bin = filepath.Join(dir, "harden")
	goBuild(t, root, bin, "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X harden/agent/cli.Version=0.0.0+perf", "./agent/cmd/harden")
	out := filepath.Join(dir, "dist")
	cmd := exec.Command("packaging/build-deb.sh", out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BIN="+bin, "VERSION=0.0.0+perf")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, b)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("build-deb.sh made %v, want one .deb", debs)
	}
	return bin, debs[0]
}

// buildMeasure builds the static measure tool that runs inside the VPS.
func buildMeasure(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "measure")
	goBuild(t, moduleRoot(t), out, "-trimpath", "./integration/perf/cmd/measure")
	return out
}

func goBuild(t *testing.T, root, out string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), "go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", args[len(args)-1], err, b)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := vps.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func sizeMB(t *testing.T, path string) float64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return float64(fi.Size()) / (1 << 20)
}

// install copies a host file into the machine, executable.
func install(t *testing.T, m *vps.Machine, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.Dir, to), data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, m *vps.Machine, path, content string) {
	t.Helper()
	full := filepath.Join(m.Dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// repoProfile reads a built-in profile's source from the repository.
func repoProfile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "profiles", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withPorts adds n allowed TCP ports to the profile's firewall block.
func withPorts(t *testing.T, profile string, n int) string {
	ports := make([]string, n)
	for i := range ports {
		ports[i] = fmt.Sprint(20000 + i)
	}
	return withFirewallList(t, profile, "allow_tcp_ports", ports)
}

// withDenySources adds n denied source addresses to the profile.
func withDenySources(t *testing.T, profile string, n int) string {
	addrs := benchAddresses(0, n)
	for i, a := range addrs {
		addrs[i] = fmt.Sprintf("%q", a)
	}
	return withFirewallList(t, profile, "deny_sources", addrs)
}

// denyListPath is where the growth case keeps its blocklist file.
const denyListPath = "/etc/harden/deny-sources.list"

// withDenySourcesFile names a blocklist file of n addresses in the profile
// and returns the profile and the file's content (as feeds ship them).
func withDenySourcesFile(t *testing.T, profile string, n int) (string, string) {
	t.Helper()
	const anchor = "firewall {\n"
	if strings.Count(profile, anchor) != 1 {
		t.Fatalf("profile has no single %q block", strings.TrimSpace(anchor))
	}
	list := "# benchmark blocklist\n" + strings.Join(benchAddresses(n, n), " ; bench\n") + "\n"
	return strings.Replace(profile, anchor, anchor+"  deny_sources_file = \""+denyListPath+"\"\n", 1), list
}

// benchAddresses are n single IPv4 addresses from the benchmarking range
// 198.18.0.0/15 (never the harness's link), the first at offset from.
// The file's list is another than the profile's, so its apply changes
// every element.
func benchAddresses(from, n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		k := from + i
		addrs[i] = fmt.Sprintf("198.%d.%d.%d", 18+k>>16, k>>8&0xff, k&0xff)
	}
	return addrs
}

// withFirewallList sets a list attribute in the profile's firewall block.
func withFirewallList(t *testing.T, profile, attr string, values []string) string {
	t.Helper()
	const anchor = "firewall {\n"
	if strings.Count(profile, anchor) != 1 {
		t.Fatalf("profile has no single %q block", strings.TrimSpace(anchor))
	}
	return strings.Replace(profile, anchor, anchor+"  "+attr+" = ["+strings.Join(values, ", ")+"]\n", 1)
}
