//go:build system

package containers

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"harden/integration/iotastub"
	"harden/integration/vps"
)

// Ports of the iota-node Docker profile.
const (
	iotaRPCPort     = 9000
	iotaGatewayPort = 9002
	iotaMetricsPort = 9184
	iotaP2PPort     = 8084 // UDP
)

// iotaArgs applies the public iota-node Docker profile and lets it restart
// docker.service (so the container reads the new fullnode.yaml and gets
// the limit), under what runc can give a container on this host.
const iotaArgs = "-profile iota-public-fullnode-docker -var restart_docker=true -var nofile=16384"

// Issue 20: iota-public-fullnode-docker on a node whose iota-node (the
// stand-in) runs from an image the way the official compose file runs it,
// /opt/iota mounted, JSON-RPC published on loopback as the profile says,
// but metrics still published on every address. The plan names the
// metrics port; after apply the container runs with the profile's limit,
// the gateway on the host serves and refuses from outside, the node's own
// ports are closed to the outside, the peer-to-peer port answers, the node
// counts the outside client through X-Forwarded-For, and a second plan is
// empty.
func TestIotaDockerProfile(t *testing.T) {
	forEachSuite(t, func(t *testing.T, rel vps.Release) {
		d := bootDocker(t, rel, map[string]string{
			"/etc/docker/daemon.json":        operatorDaemonJSON,
			"/opt/iota/config/fullnode.yaml": iotastub.Template,
		})
		d.MustShell(fmt.Sprintf("mkdir -p /opt/iota/db && docker run -d --name iota-node --restart unless-stopped --stop-timeout 1 "+
			"-v /opt/iota/config:/opt/iota/config:ro -v /opt/iota/db:/opt/iota/db "+
			"-p 127.0.0.1:%d:%d -p %d:%d -p %d:%d/udp %s /iotastub --config-path /opt/iota/config/fullnode.yaml",
			iotaRPCPort, iotaRPCPort, iotaMetricsPort, iotaMetricsPort, iotaP2PPort, iotaP2PPort, nodeImage))
		// Before harden the metrics answer from outside, so the check
		// after apply can fail.
		if err := waitDial(d.Addr, iotaMetricsPort, 20*time.Second); err != nil {
			t.Fatalf("before harden, the published metrics port: %v", err)
		}

		out := d.applyAndConfirm(iotaArgs, sshPort)
		if want := "publish the container's port on the host's loopback only (-p 127.0.0.1:9184:9184)"; !strings.Contains(out, want) {
			t.Errorf("the apply's plan does not say %q:\n%s", want, out)
		}
		deadline := time.Now().Add(30 * time.Second)
		for d.Shell("docker inspect -f '{{.State.Running}}' iota-node").Stdout != "true\n" && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		if got := d.containerLimits("iota-node"); got != "16384 16384" {
			t.Errorf("the node's open files are %q, want 16384 16384", got)
		}
		d.checkIota()
		d.emptyPlan(iotaArgs)
	})
}

// checkIota judges the node in its container from the host.
func (d *dockerVPS) checkIota() {
	d.t.Helper()
	call := func(port int, method string) (int, string) {
		c := &http.Client{Timeout: 3 * time.Second}
		resp, err := c.Post(fmt.Sprintf("http://%s:%d/", d.Addr, port), "application/json",
			strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":[]}`))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if err := waitFor(30*time.Second, func() error {
		if st, body := call(iotaGatewayPort, iotastub.LatestCheckpoint); st != 200 || !strings.Contains(body, `"result"`) {
			return fmt.Errorf("status %d: %s", st, body)
		}
		return nil
	}); err != nil {
		d.t.Errorf("a checkpoint through the gateway: %v", err)
	}
	if st, body := call(iotaGatewayPort, "unsafe_moveCall"); st != 403 {
		d.t.Errorf("the transaction builder through the gateway: status %d %s", st, body)
	}
	for _, port := range []int{iotaRPCPort, iotaMetricsPort} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(d.Addr, strconv.Itoa(port)), 2*time.Second); err == nil {
			c.Close()
			d.t.Errorf("the node's port %d is reachable from outside", port)
		}
	}
	if err := d.EchoUDP(iotaP2PPort); err != nil {
		d.t.Errorf("UDP %d from outside: %v", iotaP2PPort, err)
	}
	metrics := d.MustShell(fmt.Sprintf("docker exec iota-node /busybox wget -qO- http://127.0.0.1:%d/metrics", iotaMetricsPort)).Stdout
	var stats iotastub.Stats
	if err := json.Unmarshal([]byte(metrics), &stats); err != nil || stats.Clients[d.HostAddr] == 0 {
		d.t.Errorf("the node's clients %v (%v), want the outside client %s through X-Forwarded-For\n%s", stats.Clients, err, d.HostAddr, metrics)
	}
}

// containerLimits is the soft and hard open-files limit of a container's
// main process.
func (d *dockerVPS) containerLimits(name string) string {
	d.t.Helper()
	f := strings.Fields(d.MustShell(`pid=$(docker inspect -f '{{.State.Pid}}' ` + name + `) && grep 'Max open files' /proc/$pid/limits`).Stdout)
	if len(f) < 5 {
		d.t.Fatalf("no limits line for %s", name)
	}
	return f[3] + " " + f[4]
}

func waitDial(host string, port int, limit time.Duration) error {
	return waitFor(limit, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 2*time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func waitFor(limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
}
