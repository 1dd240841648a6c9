//go:build system

package packaging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/agent/cloudinit"
	"harden/integration/vps"
	"harden/profiles"
)

// Scenario: a VPS with cloud-init and a NoCloud seed holding the generated
// user-data runs cloud-init's boot stages and comes up hardened with
// nobody logged in: harden installed from the .deb URL, the default
// profile applied without commit-confirm, the plan and result kept, and a
// second plan empty.
//
// The harness boots the image as it is, so cloud-init is installed into
// the booted machine and its four boot stages (the units systemd would
// start at boot) are started in order; nobody logs in while they run.
func TestCloudInitFirstBoot(t *testing.T) {
	t.Parallel()
	deb := buildDeb(t, oldVersion)
	m := bootFresh(t)
	installCloudInit(t, m)

	url, sum := serveDeb(t, m, deb)
	profile, _ := profiles.Get("iri-node")
	userData, err := cloudinit.Render(cloudinit.Options{Profile: profile, ProfileName: "builtin:iri-node",
		Version: oldVersion, DebURL: url, DebSHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(m.Dir, "var/lib/cloud/seed/nocloud")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"user-data": string(userData),
		"meta-data": "instance-id: harden-cloud-init-test\nlocal-hostname: vps\n",
	} {
		if err := os.WriteFile(filepath.Join(seed, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if r := m.Exec("cloud-init", "schema", "--config-file", "/var/lib/cloud/seed/nocloud/user-data"); !r.OK() {
		t.Fatalf("cloud-init on the VPS rejects the user-data:\n%s", r)
	}

	start := time.Now()
	r := m.Exec("systemctl", "start", "cloud-init-local.service", "cloud-init.service",
		"cloud-config.service", "cloud-final.service")
	t.Logf("cloud-init stages ran in %s", time.Since(start).Round(time.Millisecond))
	log := m.Shell("cat " + cloudinit.LogPath)
	if !r.OK() || !strings.Contains(log.Stdout, "harden cloud-init: applied") {
		t.Fatalf("cloud-init did not harden the machine:\n%s\n%s\n%s\n%s", r, log,
			m.Shell("tail -n 60 /var/log/cloud-init-output.log"), m.Shell("grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 40"))
	}
	if st := m.Exec("cloud-init", "status", "--long"); strings.Contains(st.Stdout, "scripts_user") ||
		strings.Contains(st.Stdout, "scripts-user") {
		t.Errorf("cloud-init reports the first-boot script as failed:\n%s", st)
	}

	// The machine moved SSH as the profile says; the operator's key works.
	if err := m.WaitSSH(sshPort, 15*time.Second); err != nil {
		t.Fatalf("sshd not on %d after the cloud-init apply: %v", sshPort, err)
	}
	m.Port = sshPort
	if _, err := m.Banner(22); err == nil {
		t.Error("port 22 still answers")
	}
	// Commit-confirmed was off: nothing waits for a confirmation that no
	// one could give, so nothing will be rolled back behind the machine's back.
	if m.Shell("test -e /var/lib/harden/pending.json").OK() {
		t.Error("the cloud-init apply armed a rollback")
	}
	var result struct {
		Status string `json:"status"`
		Run    string `json:"run"`
	}
	out := m.MustShell("cat " + cloudinit.StateDir + "/result.json").Stdout
	if err := json.Unmarshal([]byte(out), &result); err != nil || result.Run == "" || result.Status == "" {
		t.Errorf("result.json: %v\n%s", err, out)
	}
	if plan := m.MustShell("cat " + cloudinit.StateDir + "/plan.json").Stdout; !strings.Contains(plan, "sshd.setting[Port]") {
		t.Errorf("plan.json does not hold the first plan:\n%.2000s", plan)
	}
	if conf := m.MustShell("cat /etc/harden/profile.hcl").Stdout; conf != string(profile) {
		t.Errorf("/etc/harden/profile.hcl is not the profile of the user-data:\n%s", conf)
	}
	if v := m.MustSudo("dpkg-query -W -f='${Version}' harden").Stdout; v != oldVersion {
		t.Errorf("installed harden version %q", v)
	}
	r = m.MustSudo("harden plan -detailed-exitcode", 0)
	if !strings.Contains(r.Stdout, "No changes") {
		t.Errorf("second plan is not empty:\n%s", r)
	}
}

// installCloudInit installs Debian's cloud-init into the booted machine,
// which has no network: the packages are fetched on the host into the
// machine's apt archive (kept in the harness cache for the next run), then
// installed inside. Cloud-init is told to use the NoCloud seed and to
// leave the network alone (the machine's address is the harness's).
func installCloudInit(t *testing.T, m *vps.Machine) {
	t.Helper()
	start := time.Now()
	cache := filepath.Join(vps.CacheDir(), "debs", "cloud-init")
	archives := filepath.Join(m.Dir, "var/cache/apt/archives")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	mustHost(t, "sh", "-c", `cp -p "$0"/*.deb "$1"/ 2>/dev/null || true`, cache, archives)
	restore := hostResolver(t, m)
	download := vps.Host("chroot", m.Dir, "apt-get", "install", "--download-only", "-y", "-q", "cloud-init")
	if !download.OK() {
		// The image's package lists may be older than the mirror.
		mustHost(t, "chroot", m.Dir, "apt-get", "update", "-q")
		download = vps.Host("chroot", m.Dir, "apt-get", "install", "--download-only", "-y", "-q", "cloud-init")
	}
	restore()
	if !download.OK() {
		t.Fatalf("download cloud-init for the VPS:\n%s", download)
	}
	mustHost(t, "sh", "-c", `cp -p "$0"/*.deb "$1"/`, archives, cache)
	t.Logf("cloud-init packages fetched in %s", time.Since(start).Round(time.Millisecond))

	cfgDir := filepath.Join(m.Dir, "etc/cloud/cloud.cfg.d")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// What the provider's image would say: where the seed is, hands off
	// the network; and no locale (the minimal image has no locales package).
	cfg := "datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\nlocale: false\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "90-harden-test.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := m.Exec("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-download", "cloud-init")
	if !r.OK() {
		t.Fatalf("install cloud-init on the VPS:\n%s", r)
	}
	t.Logf("cloud-init installed in %s", time.Since(start).Round(time.Millisecond))
}

// hostResolver gives the machine's tree the host's resolv.conf for a
// chroot apt run and returns what puts the machine's own back.
func hostResolver(t *testing.T, m *vps.Machine) func() {
	t.Helper()
	path := filepath.Join(m.Dir, "etc/resolv.conf")
	saved, err := os.ReadFile(path)
	hadFile := err == nil
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := os.WriteFile(path, host, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		os.Remove(path)
		if hadFile {
			os.WriteFile(path, saved, 0o644)
		}
	}
}

func mustHost(t *testing.T, name string, args ...string) {
	t.Helper()
	if r := vps.Host(name, args...); !r.OK() {
		t.Fatalf("%s", r)
	}
}

// serveDeb serves the package over HTTP on the host's end of the VPS link
// (only the VPS can reach it) until the test ends, and returns its URL and
// SHA-256.
func serveDeb(t *testing.T, m *vps.Machine, deb string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	ln, err := net.Listen("tcp", net.JoinHostPort(m.HostAddr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	name := "/" + filepath.Base(deb)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.debian.binary-package")
		w.Write(data)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String() + name, hex.EncodeToString(sum[:])
}
