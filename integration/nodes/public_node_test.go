//go:build system

package nodes

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Issue 6: iri-public-node installs HAProxy from the packages already on
// the VPS (the machine has no route to any mirror), HAProxy answers on the
// public API port from the host, the node's own API port is not reachable
// from the host, and a second plan is empty.
func TestPublicNodeProxy(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		n.mustSh("! command -v haproxy")
		// No network beyond the veth link: an install that needs a mirror fails.
		n.mustSh("! ip route get 1.1.1.1")

		args := "-profile iri-public-node"
		n.applyAndConfirm(args)
		n.mustSh("dpkg -s haproxy | grep -qx 'Status: install ok installed'")
		if s := strings.TrimSpace(n.sh("systemctl is-active haproxy.service").Stdout); s != "active" {
			t.Fatalf("haproxy.service is %q", s)
		}
		// A listener where the node's API would be, reachable from anywhere
		// but for the firewall.
		n.listen("node-api", fmt.Sprint(apiPort))

		client := &http.Client{Timeout: 5 * time.Second}
		url := fmt.Sprintf("http://%s:%d/", n.Addr, proxyPort)
		body := `{"command":"getNodeInfo"}`
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("HAProxy does not answer from the host on %d: %v", proxyPort, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a call without X-IOTA-API-Version: status %d, want 400\n%s", resp.StatusCode, got)
		}

		// With the header the call passes the policy and reaches the backend:
		// no node is serving HTTP there, so HAProxy itself answers 5xx.
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-IOTA-API-Version", "1")
		if resp, err := client.Do(req); err != nil {
			t.Errorf("a well-formed call: %v", err)
		} else {
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				t.Errorf("a well-formed call with no node behind: status %d, want HAProxy's 5xx\n%s", resp.StatusCode, got)
			}
		}

		if line, err := n.Banner(apiPort); err == nil {
			t.Errorf("the node's API port %d is reachable from the host: %q", apiPort, line)
		}
		n.emptyPlan(args)
	})
}
