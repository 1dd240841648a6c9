//go:build system

package nodes

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"harden/integration/vps"
)

// placeholderUnit stands in for the IRI node's unit: a long-running
// process, as root, with the stock open-files limit.
const placeholderUnit = `[Unit]
Description=IRI node (placeholder)

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
`

// Issue 4: on a VPS whose node runs as root with the stock limits, applying
// iri-node with restart_node=true leaves the node running as the "iri"
// user with a raised open-files limit and a limited remote API, and a
// second plan is empty.
func TestNodeRunsAsUserWithLimits(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		if err := os.WriteFile(filepath.Join(n.Dir, "etc/systemd/system/iri.service"), []byte(placeholderUnit), 0o644); err != nil {
			t.Fatal(err)
		}
		n.mustSh("systemctl daemon-reload && systemctl enable --now iri.service")
		if u := strings.TrimSpace(n.mustSh("ps -o user= -p $(systemctl show -p MainPID --value iri.service)").Stdout); u != "root" {
			t.Fatalf("placeholder node runs as %q before harden, want root", u)
		}
		n.mustSh("! getent passwd iri")

		args := "-profile iri-node -var restart_node=true"
		plan := n.harden("plan -detailed-exitcode "+args, 2)
		startsBefore := n.nodeStarts()
		out := plan + n.applyAndConfirm(args)
		// Three modules change the node's unit; a Java node takes minutes to
		// come back, so it must be restarted once, not once per module.
		if starts := n.nodeStarts() - startsBefore; starts != 1 {
			t.Errorf("the apply started iri.service %d times, want once:\n%s", starts, n.mustSh("journalctl -u iri.service -o short-precise --no-pager | tail -n 20").Stdout)
		}

		n.mustSh("getent passwd iri")
		if u := strings.TrimSpace(n.mustSh("ps -o user= -p $(systemctl show -p MainPID --value iri.service)").Stdout); u != "iri" {
			t.Errorf("iri.service's process runs as %q, want iri", u)
		}
		configured := strings.TrimSpace(n.mustSh("systemctl show -p LimitNOFILE --value iri.service").Stdout)
		if configured != "65535" {
			t.Errorf("iri.service LimitNOFILE = %q, want 65535", configured)
		}
		limits := n.mustSh("grep 'Max open files' /proc/$(systemctl show -p MainPID --value iri.service)/limits").Stdout
		fields := strings.Fields(limits)
		if len(fields) < 5 {
			t.Fatalf("unreadable limits line %q", limits)
		}
		live, err := strconv.Atoi(fields[3]) // "Max open files SOFT HARD files"
		if err != nil {
			t.Fatalf("limits line %q: %v", limits, err)
		}
		if live != 65535 {
			// A container may cap the limit below what systemd was told; then
			// harden must say so, naming both numbers.
			if !strings.Contains(out, "caps open files at "+strconv.Itoa(live)) || !strings.Contains(out, "65535") {
				t.Errorf("node runs with %d open files, not 65535, and harden did not warn about the cap:\n%s", live, out)
			} else {
				t.Logf("node runs with %d open files (the environment's cap), harden warned", live)
			}
		}
		ini := n.mustSh("cat /var/lib/iri/iri.ini").Stdout
		for _, want := range []string{"REMOTE_LIMIT_API", "addNeighbors", "attachToTangle"} {
			if !strings.Contains(ini, want) {
				t.Errorf("iri.ini lacks %s:\n%s", want, ini)
			}
		}
		n.emptyPlan(args)
	})
}

// nodeStarts counts the times systemd has started iri.service since boot.
func (n *node) nodeStarts() int {
	n.t.Helper()
	out := n.mustSh("journalctl -b -u iri.service -o cat --no-pager | grep -c '^Started' || true").Stdout
	count, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		n.t.Fatalf("count iri.service starts: %q", out)
	}
	return count
}
