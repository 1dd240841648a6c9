//go:build system

package containers

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Ports of the Docker node profiles.
const (
	sshPort   = 2222  // var.ssh_port's default
	proxyPort = 14267 // HAProxy on the host, in front of the container's API
)

// operatorDaemonJSON is what the operator had before harden: a setting of
// their own and the open-files limit attackers exhausted.
const operatorDaemonJSON = `{"log-level": "warn", "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 4096, "Soft": 4096}}}`

// profileArgs applies the public Docker profile and lets it restart
// docker.service. The limit stays under what runc can give a container on
// this host (its machines cap open files at 20000, see vps), as 65535
// would on a VPS.
const profileArgs = "-profile iri-public-node-docker -var restart_docker=true -var nofile=16384"

// Issue 18: iri-public-node-docker on a node whose IRI (the stand-in) runs
// in a container publishing its API on loopback and its gossip port on
// every address. After apply the container runs with the profile's
// open-files limit (through daemon.json, the operator's own setting kept,
// and a restart of docker.service), HAProxy on the host reaches the node's
// API and refuses the limited commands, the API's own port is closed to
// the outside, gossip answers, and a second plan is empty; all of it again
// after a reboot.
func TestDockerNodeProfile(t *testing.T) {
	forEachSuite(t, func(t *testing.T, rel vps.Release) {
		start := time.Now()
		d := bootDocker(t, rel, map[string]string{"/etc/docker/daemon.json": operatorDaemonJSON})
		d.MustShell(fmt.Sprintf("docker run -d --name iri --restart unless-stopped --stop-timeout 1 -p 127.0.0.1:%d:%d -p %d:%d %s "+
			"/busybox sh -c '/iristub -listen 0.0.0.0:%d & exec /tcplisten %d'",
			apiPort, apiPort, gossipPort, gossipPort, nodeImage, apiPort, gossipPort))
		// Before harden the node runs with the operator's 4096, so the check
		// after apply can fail.
		if got := d.nodeLimits(); got != "4096 4096" {
			t.Fatalf("before harden the node's open files are %q, want 4096 4096", got)
		}

		out := d.applyAndConfirm(profileArgs, sshPort)
		t.Logf("what the apply said about limits and Docker:\n%s", grepLines(out, "limits", "docker", "container"))
		for _, want := range []string{"default-ulimits nofile", "restart docker.service", "container networking found: Docker"} {
			if !strings.Contains(out, want) {
				t.Errorf("the apply's plan does not say %q:\n%s", want, out)
			}
		}
		daemonJSON := d.MustShell("cat /etc/docker/daemon.json").Stdout
		if !strings.Contains(daemonJSON, `"log-level": "warn"`) || !strings.Contains(daemonJSON, `"Soft": 16384`) {
			t.Errorf("daemon.json after apply:\n%s", daemonJSON)
		}
		d.checkNode("after apply")
		d.emptyPlan(profileArgs)

		d.Reboot()
		d.checkNode("after a reboot")
		d.emptyPlan(profileArgs)
		t.Logf("%s: scenario took %s", rel, time.Since(start).Round(time.Millisecond))
	})
}

// nodeLimits is the soft and hard open-files limit of the node container's
// main process, read the way an operator would: docker inspect, /proc.
func (d *dockerVPS) nodeLimits() string {
	d.t.Helper()
	return d.containerLimits("iri")
}

// checkNode judges the hardened node: its limit inside, the rest from the
// host.
func (d *dockerVPS) checkNode(when string) {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for d.Shell("docker inspect -f '{{.State.Running}}' iri").Stdout != "true\n" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := d.nodeLimits(); got != "16384 16384" {
		d.t.Errorf("%s: the node's open files are %q, want 16384 16384", when, got)
	}
	if err := d.waitGreeting(gossipPort, 30*time.Second); err != nil {
		d.t.Errorf("%s: gossip: %v", when, err)
	}
	if status, body := d.apiCall(proxyPort, "getNodeInfo", 30*time.Second); status != http.StatusOK || !strings.Contains(body, "IRI stand-in") {
		d.t.Errorf("%s: getNodeInfo through HAProxy: status %d\n%s", when, status, body)
	}
	if status, body := d.apiCall(proxyPort, "addNeighbors", 0); status == http.StatusOK {
		d.t.Errorf("%s: addNeighbors passes HAProxy: status %d\n%s", when, status, body)
	}
	if status, _ := d.apiCall(apiPort, "getNodeInfo", 0); status != 0 {
		d.t.Errorf("%s: the node's own API port answers from outside: status %d", when, status)
	}
}

// apiCall posts an IRI API command from the host the way a wallet does,
// retrying for up to limit while nothing answers; status 0: no answer.
func (d *dockerVPS) apiCall(port int, command string, limit time.Duration) (int, string) {
	client := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s:%d/", d.Addr, port),
			strings.NewReader(`{"command":"`+command+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-IOTA-API-Version", "1")
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 || time.Now().After(deadline) {
				return resp.StatusCode, string(body)
			}
		} else if time.Now().After(deadline) {
			return 0, err.Error()
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// grepLines keeps the lines of s that contain one of words (any case).
func grepLines(s string, words ...string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(strings.ToLower(line), w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
