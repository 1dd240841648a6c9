//go:build system

package nodes

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"harden/integration/iotastub"
	"harden/integration/vps"
)

// Ports of iota-node and the iota-public-fullnode profile.
const (
	iotaRPCPort     = 9000 // the node's JSON-RPC, loopback only after harden
	iotaGatewayPort = 9002 // HAProxy's JSON-RPC gateway
	iotaMetricsPort = 9184
	iotaGRPCPort    = 50051
	iotaAdminPort   = 1337
	iotaP2PPort     = 8084 // UDP
)

// iotaUnit is nre/systemd/iota-node.service as a full node's operator
// adapts it (fullnode.yaml instead of validator.yaml).
const iotaUnit = `[Unit]
Description=Iota Node

[Service]
User=iota
WorkingDirectory=/opt/iota/
Environment=RUST_BACKTRACE=1
ExecStart=/opt/iota/bin/iota-node --config-path /opt/iota/config/fullnode.yaml
Restart=always

[Install]
WantedBy=multi-user.target
`

// metricsScript prints the stand-in's counters (JSON on its metrics
// address) from inside the VPS, which has no HTTP client.
const metricsScript = `#!/bin/bash
exec 3<>/dev/tcp/127.0.0.1/9184
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
sed '1,/^\r$/d' <&3
`

// installIotaNode sets the VPS up the way nre/systemd/README.md tells an
// operator to: an iota user, /opt/iota owned by it, the binary (here the
// stand-in) and the unit, started. Nothing is hardened yet: the node binds
// JSON-RPC, metrics and gRPC on every interface.
func (n *node) installIotaNode() {
	n.t.Helper()
	n.mustSh("useradd iota && mkdir -p /opt/iota/bin /opt/iota/config /opt/iota/db /opt/iota/key-pairs")
	data, err := os.ReadFile(iotaNode)
	if err != nil {
		n.t.Fatal(err)
	}
	for path, file := range map[string]struct {
		data []byte
		mode os.FileMode
	}{
		"opt/iota/bin/iota-node":               {data, 0o755},
		"opt/iota/config/fullnode.yaml":        {[]byte(iotastub.Template), 0o644},
		"etc/systemd/system/iota-node.service": {[]byte(iotaUnit), 0o644},
		"usr/local/bin/iota-metrics":           {[]byte(metricsScript), 0o755},
	} {
		if err := os.WriteFile(filepath.Join(n.Dir, path), file.data, file.mode); err != nil {
			n.t.Fatal(err)
		}
	}
	n.mustSh("chown -R iota:iota /opt/iota && chmod 0755 /opt/iota/key-pairs && systemctl daemon-reload && systemctl enable --now iota-node.service")
	if err := waitFor(10*time.Second, func() error { return n.rpcStatus(iotaRPCPort, rpcCall("iota_getChainIdentifier"), 200) }); err != nil {
		n.t.Fatalf("the stand-in node does not answer JSON-RPC on %d: %v\n%s", iotaRPCPort, err, n.Journal("iota-node.service", 20))
	}
	// Its other listeners come up one after the other.
	for _, port := range []int{iotaMetricsPort, iotaGRPCPort} {
		if err := waitFor(10*time.Second, func() error { return n.reachable(port) }); err != nil {
			n.t.Fatalf("the stand-in node does not listen on %d: %v", port, err)
		}
	}
}

func rpcCall(method string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":[]}`
}

// rpc posts a JSON-RPC body from the host and returns status and answer.
func (n *node) rpc(port int, body string) (int, string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Post(fmt.Sprintf("http://%s:%d/", n.Addr, port), "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer), nil
}

func (n *node) rpcStatus(port int, body string, want int) error {
	st, answer, err := n.rpc(port, body)
	if err != nil || st != want {
		return fmt.Errorf("status %d (%v), want %d: %.200s", st, err, want, answer)
	}
	return nil
}

// listening are the node's TCP ports (JSON-RPC, metrics, gRPC, admin)
// that something inside the VPS listens on beyond loopback (ss).
func (n *node) listening() map[int]bool {
	out := map[int]bool{}
	for _, line := range strings.Split(n.mustSh("ss -ltnH").Stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		i := strings.LastIndex(f[3], ":")
		host, port := f[3][:i], f[3][i+1:]
		p, _ := strconv.Atoi(port)
		if host == "127.0.0.1" || host == "[::1]" || p == 0 {
			continue
		}
		switch p {
		case iotaRPCPort, iotaMetricsPort, iotaGRPCPort, iotaAdminPort:
			out[p] = true
		}
	}
	return out
}

// Issue 20: iota-public-fullnode on a VPS whose iota-node was installed the
// upstream way (JSON-RPC, metrics and gRPC on every interface). After the
// apply, before the node restarts, only the firewall keeps those ports
// from the host, and the plan names the sockets; the gateway answers
// allowed methods and refuses the rest. After the restart the node binds
// loopback, runs as iota with its open-files limit, and its traffic
// controller sees the host's address through X-Forwarded-For.
func TestIotaPublicFullnode(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		n := bootNode(t, rel)
		// Before harden JSON-RPC, metrics and gRPC answer from the host, so
		// the checks below can fail.
		n.installIotaNode()

		args := "-profile iota-public-fullnode"
		plan := n.harden("plan -detailed-exitcode "+args, 2)
		for _, want := range []string{"fullnode.yaml binds JSON-RPC to 0.0.0.0:9000", "(the node's metrics port) on more than loopback"} {
			if !strings.Contains(plan, want) {
				t.Errorf("plan does not warn %q:\n%s", want, plan)
			}
		}
		n.applyAndConfirm(args)

		// The node still runs on its old addresses: the firewall alone keeps
		// them from the host.
		if l := n.listening(); !l[iotaRPCPort] || !l[iotaMetricsPort] {
			t.Fatalf("the node was restarted by the apply (restart_node is false); beyond loopback: %v", l)
		}
		n.checkIotaFromHost("before the node restarts")
		if out := n.harden("plan " + args); !strings.Contains(out, "(the node's JSON-RPC port) on more than loopback") {
			t.Errorf("a plan with the node on its old addresses does not say so:\n%s", out)
		}

		n.mustSh("systemctl restart iota-node.service")
		if err := waitFor(10*time.Second, func() error { return n.rpcStatus(iotaGatewayPort, rpcCall("iota_getChainIdentifier"), 200) }); err != nil {
			t.Fatalf("the gateway after the node's restart: %v\n%s", err, n.Journal("iota-node.service", 20))
		}
		if l := n.listening(); len(l) > 0 {
			t.Errorf("after the restart the node still listens beyond loopback on %v", l)
		}
		if ss := n.mustSh("ss -ltnH").Stdout; !strings.Contains(ss, "127.0.0.1:9000") || !strings.Contains(ss, "127.0.0.1:50051") {
			t.Errorf("after the restart the node does not listen on loopback:\n%s", ss)
		}
		n.checkIotaFromHost("after the node restarts")
		n.checkIotaProcess()

		// The node's traffic controller counts the host, not the proxy.
		n.rpc(iotaGatewayPort, rpcCall("iota_getLatestCheckpointSequenceNumber"))
		metrics := n.mustSh("/usr/local/bin/iota-metrics").Stdout
		var stats struct{ Clients map[string]int64 }
		if err := json.Unmarshal([]byte(metrics), &stats); err != nil || stats.Clients[n.HostAddr] == 0 || stats.Clients["127.0.0.1"] != 0 {
			t.Errorf("the node's clients %v (%v), want the host %s and never the proxy's 127.0.0.1\n%s", stats.Clients, err, n.HostAddr, metrics)
		}
		n.emptyPlan(args)
	})
}

// reachable: something on the host's side of the link can connect to port.
func (n *node) reachable(port int) error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(n.Addr, strconv.Itoa(port)), 2*time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// checkIotaFromHost judges the hardened node from the host: the gateway
// serves and refuses what the profile says, the node's own ports are
// closed, the peer-to-peer port answers.
func (n *node) checkIotaFromHost(when string) {
	n.t.Helper()
	for _, c := range []struct {
		name, body string
		status     int
		answer     string
	}{
		{"a checkpoint", rpcCall("iota_getLatestCheckpointSequenceNumber"), 200, `"result"`},
		{"dev-inspect", rpcCall("iota_devInspectTransactionBlock"), 200, `"result"`},
		{"the transaction builder", rpcCall("unsafe_moveCall"), 403, "-32601"},
		{"a batch", "[" + rpcCall("iota_getChainIdentifier") + "]", 200, "-32005"},
		{"an escaped method", rpcCall(`iota_\u0064evInspectTransactionBlock`), 400, "-32700"},
	} {
		st, answer, err := n.rpc(iotaGatewayPort, c.body)
		if st != c.status || !strings.Contains(answer, c.answer) {
			n.t.Errorf("%s: %s through the gateway: status %d (%v) %.200q, want %d with %q", when, c.name, st, err, answer, c.status, c.answer)
		}
	}
	for _, port := range []int{iotaRPCPort, iotaMetricsPort, iotaGRPCPort, iotaAdminPort} {
		if err := n.reachable(port); err == nil {
			n.t.Errorf("%s: port %d is reachable from the host", when, port)
		}
	}
	if err := n.EchoUDP(iotaP2PPort); err != nil {
		n.t.Errorf("%s: UDP %d from the host: %v", when, iotaP2PPort, err)
	}
}

// checkIotaProcess: the running node is the iota user's, with the limit
// the profile sets (or the container's cap, which harden names), and its
// key pairs are the iota user's alone.
func (n *node) checkIotaProcess() {
	n.t.Helper()
	pid := "$(systemctl show -p MainPID --value iota-node.service)"
	if u := strings.TrimSpace(n.mustSh("ps -o user= -p " + pid).Stdout); u != "iota" {
		n.t.Errorf("iota-node runs as %q, want iota", u)
	}
	if v := strings.TrimSpace(n.mustSh("systemctl show -p LimitNOFILE --value iota-node.service").Stdout); v != "1048576" {
		n.t.Errorf("iota-node.service LimitNOFILE = %q, want 1048576", v)
	}
	fields := strings.Fields(n.mustSh("grep 'Max open files' /proc/" + pid + "/limits").Stdout)
	if len(fields) < 5 || fields[3] != fields[4] {
		n.t.Errorf("open-files limits %v: the node raises its soft limit to the hard one", fields)
	} else if fields[4] != "1048576" {
		if out := n.harden("plan -profile iota-public-fullnode"); !strings.Contains(out, "caps open files at "+fields[4]) {
			n.t.Errorf("the node runs with %s open files, not 1048576, and harden does not name the cap:\n%s", fields[4], out)
		}
	}
	if f := strings.Fields(n.mustSh("ls -ld /opt/iota/key-pairs").Stdout); len(f) < 3 || f[0] != "drwx------" || f[2] != "iota" {
		n.t.Errorf("/opt/iota/key-pairs is %v, want drwx------ owned by iota", f)
	}
}
