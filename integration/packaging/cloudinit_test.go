//go:build system

package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"harden/agent/cloudinit"
	"harden/integration/vps"
	"harden/profiles"
)

// Scenario: a true first boot. The VPS image has cloud-init installed and
// a NoCloud seed holding the generated user-data; systemd runs cloud-init's
// stages as part of the boot, and the machine comes up hardened with
// nobody logged in: harden installed from the .deb URL, the profile applied
// without commit-confirm, the plan and result kept, sshd moved to the
// profile's port. Everything is judged from the host before anyone logs
// in; then the operator logs in on the new port and finds the second plan
// empty.
func TestCloudInitFirstBoot(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		deb := buildDeb(t, oldVersion)
		profile, ok := profiles.Get("iri-node")
		if !ok {
			t.Fatal("no built-in profile iri-node")
		}
		var fetches atomic.Int32
		start := time.Now()
		m := vps.Boot(t, vps.Options{Release: rel, NoHarden: true, SSHPort: sshPort, Prepare: func(m *vps.Machine) error {
			return seedFirstBoot(t, m, deb, profile, &fetches)
		}})
		t.Logf("first boot hardened the machine %s after the unpack began", time.Since(start).Round(time.Millisecond))

		// The stages ran as units of the boot and succeeded: every service
		// the installed cloud-init ships (Debian 13's 25.1 names the network
		// stage cloud-init-network and runs all stages in cloud-init-main,
		// which exits when they are done) but the hotplug daemon, which only
		// a device event starts.
		units := strings.Fields(m.MustShell("systemctl list-unit-files --no-legend 'cloud-*.service' |" +
			" awk '$1 != \"cloud-init-hotplugd.service\" {print $1}'").Stdout)
		if !slices.Contains(units, "cloud-final.service") {
			t.Errorf("no cloud-final.service among cloud-init's units %q", units)
		}
		for _, unit := range units {
			r := m.Exec("systemctl", "show", "-p", "Result", "-p", "ExecMainStatus", "-p", "ExecMainStartTimestampMonotonic", unit)
			got := strings.Fields(r.Stdout)
			ran := !slices.Contains(got, "ExecMainStartTimestampMonotonic=0")
			if !ran || !slices.Contains(got, "Result=success") || !slices.Contains(got, "ExecMainStatus=0") {
				t.Errorf("%s did not run and succeed in the boot: %q\n%s", unit, got, r)
			}
		}
		// Nothing cloud-init complained about: no failed module, no config it
		// found invalid (the provider's settings included).
		if r := m.Exec("grep", "-E", "WARNING|ERROR|Traceback", "/var/log/cloud-init.log"); r.Exit != 1 {
			t.Errorf("cloud-init.log has warnings or errors:\n%s", r)
		}
		status := m.Exec("cloud-init", "status", "--long")
		if !strings.Contains(status.Stdout, "status: done") {
			t.Errorf("cloud-init is not done:\n%s", status)
		}
		checkNoStageErrors(t, m)
		if id := m.Exec("cat", "/var/lib/cloud/data/instance-id").Stdout; strings.TrimSpace(id) != instanceID {
			t.Errorf("cloud-init ran for instance %q, not the seed's %q", id, instanceID)
		}
		if log := m.Exec("cat", cloudinit.LogPath).Stdout; !strings.Contains(log, "harden cloud-init: applied") {
			t.Errorf("%s does not say applied:\n%s", cloudinit.LogPath, log)
		}
		if n := fetches.Load(); n < 2 {
			t.Errorf("the first boot asked the host for the package %d times; the first answer is an error, so it must retry", n)
		}

		// sshd moved as the profile says (Boot found it on sshPort).
		if banner, err := m.Banner(22); err == nil {
			t.Errorf("port 22 still answers: %q", banner)
		}
		// Commit-confirmed was off: nothing waits for a confirmation that no
		// one could give, so nothing will be rolled back behind the machine's back.
		if r := m.Exec("test", "-e", "/var/lib/harden/pending.json"); r.OK() {
			t.Error("the cloud-init apply armed a rollback")
		}
		var result struct {
			Status string `json:"status"`
			Run    string `json:"run"`
		}
		out := m.Exec("cat", cloudinit.StateDir+"/result.json")
		if err := json.Unmarshal([]byte(out.Stdout), &result); err != nil || result.Run == "" || result.Status == "" {
			t.Errorf("result.json: %v\n%s", err, out)
		}
		if plan := m.Exec("cat", cloudinit.StateDir+"/plan.json"); !strings.Contains(plan.Stdout, "sshd.setting[Port]") {
			t.Errorf("plan.json does not hold the first plan:\n%.2000s", plan)
		}
		if conf := m.Exec("cat", cloudinit.ProfilePath).Stdout; conf != string(profile) {
			t.Errorf("%s is not the profile of the user-data:\n%s", cloudinit.ProfilePath, conf)
		}
		if v := m.Exec("dpkg-query", "-W", "-f=${Version}", "harden"); v.Stdout != oldVersion {
			t.Errorf("installed harden version %q, want %q\n%s", v.Stdout, oldVersion, v)
		}
		// Nobody logged in so far: sshd accepted no one.
		if j := m.Exec("journalctl", "--no-pager", "-o", "cat", "-u", "ssh.service"); strings.Contains(j.Stdout, "Accepted") {
			t.Errorf("someone logged in before the checks:\n%s", j.Stdout)
		}

		// The operator's first login, on the new port: nothing left to do.
		r := m.MustSudo("harden plan -detailed-exitcode", 0)
		if !strings.Contains(r.Stdout, "No changes") {
			t.Errorf("second plan is not empty:\n%s", r)
		}
	})
}

// instanceID is the seed's meta-data instance id.
const instanceID = "harden-cloud-init-test"

// seedFirstBoot makes the fresh tree what a provider's image with
// cloud-init and a NoCloud seed would be: cloud-init installed (not
// started), told to read the seed and leave the network alone, and the
// seed holding the user-data harden generates, which fetches the package
// from the host. On a failed test the cloud-init logs are read from the
// tree once the machine has stopped.
func seedFirstBoot(t *testing.T, m *vps.Machine, deb string, profile []byte, fetches *atomic.Int32) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	resolver := filepath.Join(m.Dir, "etc/resolv.conf")
	before, err := os.ReadFile(resolver)
	if err != nil {
		return err
	}
	if err := vps.InstallPackages(ctx, m.Dir, "cloud-init", "cloud-init"); err != nil {
		return err
	}
	// The image stays the provider's: its own resolver, services allowed
	// to start.
	if after, err := os.ReadFile(resolver); err != nil || !bytes.Equal(after, before) {
		t.Errorf("installing cloud-init changed the tree's resolv.conf (%v):\n%s", err, after)
	}
	if _, err := os.Lstat(filepath.Join(m.Dir, "usr/sbin/policy-rc.d")); !os.IsNotExist(err) {
		t.Errorf("policy-rc.d left in the tree (%v)", err)
	}
	t.Logf("cloud-init installed into the image in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cloud-init logs of %s:\n%s", m.Name, cloudInitLogs(m.Dir))
		}
	})

	// What the provider's image would say: where the seed is, hands off
	// the network (the harness gives the address); and a locale that
	// needs no generating (the minimal image has none).
	cfg := "datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n"
	if err := writeTreeFile(m.Dir, "/etc/cloud/cloud.cfg.d/90-harden-test.cfg", cfg, 0o644); err != nil {
		return err
	}
	url, sum, err := serveDeb(t, m, deb, fetches)
	if err != nil {
		return err
	}
	userData, err := cloudinit.Render(cloudinit.Options{Profile: profile, ProfileName: "builtin:iri-node",
		Version: oldVersion, DebURL: url, DebSHA256: sum})
	if err != nil {
		return err
	}
	seed := "/var/lib/cloud/seed/nocloud"
	if err := writeTreeFile(m.Dir, seed+"/user-data", string(userData), 0o600); err != nil {
		return err
	}
	meta := "instance-id: " + instanceID + "\nlocal-hostname: vps\n"
	if err := writeTreeFile(m.Dir, seed+"/meta-data", meta, 0o600); err != nil {
		return err
	}
	// Debian's cloud-init accepts the document before the machine boots.
	if r := vps.Host("chroot", m.Dir, "cloud-init", "schema", "--config-file", seed+"/user-data"); !r.OK() {
		return fmt.Errorf("cloud-init rejects the generated user-data:\n%s", r)
	}
	return nil
}

// checkNoStageErrors fails the test if any cloud-init stage recorded an
// error (a failed module, a failed runcmd script).
func checkNoStageErrors(t *testing.T, m *vps.Machine) {
	t.Helper()
	r := m.Exec("cat", "/run/cloud-init/status.json")
	var status struct {
		V1 map[string]json.RawMessage `json:"v1"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &status); err != nil || len(status.V1) == 0 {
		t.Errorf("cloud-init status.json: %v\n%s", err, r)
		return
	}
	for _, stage := range []string{"init-local", "init", "modules-config", "modules-final"} {
		var s struct {
			Errors   []any    `json:"errors"`
			Finished *float64 `json:"finished"`
		}
		if err := json.Unmarshal(status.V1[stage], &s); err != nil || s.Finished == nil || len(s.Errors) > 0 {
			t.Errorf("cloud-init stage %s: finished %v, errors %v (%v)", stage, s.Finished != nil, s.Errors, err)
		}
	}
}

// cloudInitLogs is what explains a failed first boot, read from the tree.
func cloudInitLogs(root string) string {
	var b strings.Builder
	for _, f := range []struct {
		path  string
		lines int
		only  string
	}{
		{cloudinit.LogPath, 60, ""},
		{"/var/log/cloud-init-output.log", 60, ""},
		{"/var/log/cloud-init.log", 40, "WARNING|ERROR|Traceback"},
	} {
		data, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", f.path, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if f.only != "" {
			var kept []string
			for _, l := range lines {
				for _, w := range strings.Split(f.only, "|") {
					if strings.Contains(l, w) {
						kept = append(kept, l)
						break
					}
				}
			}
			lines = kept
		}
		if len(lines) > f.lines {
			lines = lines[len(lines)-f.lines:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", f.path, strings.Join(lines, "\n"))
	}
	return b.String()
}

// writeTreeFile writes a file into the machine's tree, making its
// directories.
func writeTreeFile(root, path, content string, mode os.FileMode) error {
	full := filepath.Join(root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, []byte(content), mode)
}

// serveDeb serves the package over HTTP on the host's end of the VPS link
// (only the VPS can reach it; listening before the machine starts) until
// the test ends, counting the requests, and returns its URL and SHA-256.
// The first request gets 503, as from a mirror not ready yet.
func serveDeb(t *testing.T, m *vps.Machine, deb string, fetches *atomic.Int32) (string, string, error) {
	data, err := os.ReadFile(deb)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(data)
	ln, err := m.ListenHost()
	if err != nil {
		return "", "", err
	}
	name := "/" + filepath.Base(deb)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != name {
			http.NotFound(w, r)
			return
		}
		if fetches.Add(1) == 1 {
			// A mirror that is not ready yet: the first boot must retry.
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.debian.binary-package")
		w.Write(data)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + name, hex.EncodeToString(sum[:]), nil
}
