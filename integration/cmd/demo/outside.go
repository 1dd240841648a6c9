package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"harden/integration/vps"
)

// view is the VPS as seen from this machine: what an operator or an
// attacker on the network finds.
type view struct {
	port22     string // "open" or "closed"
	keyLogin   string // the operator's key login on the port sshd listens on
	password   string // a password login there
	rootLogin  string // root with a key there
	apiDirect  string // the node's own API port
	apiProxied string // the API through HAProxy
	nodeUser   string // who the node's process runs as
	nodeFiles  string // its open-files limit
	// Hardened-state facts, for the verdict.
	filesConfigured string
	proxyOK         bool
}

// look takes the view with sshd on port. The probes run at once: each
// waits on the network (a dropped packet, a refused login), not on this
// machine. The firewall admits six new SSH connections a minute from one
// address, so the view costs three: the key login also reads the node.
func look(m *vps.Machine, port int) view {
	v := view{port22: "closed", keyLogin: "refused", password: "refused", rootLogin: "refused",
		nodeUser: "unknown", nodeFiles: "unknown"}
	var wg sync.WaitGroup
	wg.Go(func() {
		if banner, err := m.Banner(22); err == nil && strings.HasPrefix(banner, "SSH-") {
			v.port22 = "open"
		}
	})
	wg.Go(func() {
		if ok := v.readNode(m, port); ok {
			v.keyLogin = fmt.Sprintf("works on port %d", port)
		}
	})
	wg.Go(func() {
		if m.PasswordLogin(vps.DeployUser, vps.DeployPassword, port).OK() {
			v.password = "accepted"
		}
	})
	wg.Go(func() {
		if m.SSH("root", port, "true").OK() {
			v.rootLogin = "accepted"
		}
	})
	wg.Go(func() { v.apiDirect = describeCall(m.Addr, apiPort, "getNodeInfo") })
	wg.Go(func() {
		info := describeCall(m.Addr, proxyPort, "getNodeInfo")
		v.apiProxied = info
		if info != "unreachable" {
			limited := describeCall(m.Addr, proxyPort, "addNeighbors")
			v.apiProxied = info + ", " + limited
			v.proxyOK = info == "getNodeInfo 200" && !strings.HasPrefix(limited, "addNeighbors 2")
		}
	})
	wg.Wait()
	return v
}

// describeCall makes one API call and says how it went.
func describeCall(addr string, port int, command string) string {
	status, err := apiCall(addr, port, command)
	if err != nil {
		return "unreachable"
	}
	return fmt.Sprintf("%s %d", command, status)
}

// apiCall posts an IRI API command the way a wallet does.
func apiCall(addr string, port int, command string) (int, error) {
	client := &http.Client{Timeout: 1500 * time.Millisecond}
	url := fmt.Sprintf("http://%s:%d/", addr, port)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"command":"`+command+`"}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IOTA-API-Version", "1")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// readNode logs in as the operator with the key and reads who the node
// runs as and its open-files limit: configured (systemd) and live (/proc).
// It reports whether the login worked.
func (v *view) readNode(m *vps.Machine, port int) bool {
	r := m.SSH(vps.DeployUser, port, `pid=$(systemctl show -p MainPID --value iri.service); `+
		`ps -o user= -p $pid; systemctl show -p LimitNOFILE --value iri.service; grep "Max open files" /proc/$pid/limits`)
	if !r.OK() {
		return false
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) < 3 {
		return true
	}
	v.nodeUser, v.filesConfigured = strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1])
	live := strings.Fields(lines[2]) // Max open files SOFT HARD files
	if len(live) < 5 {
		return true
	}
	v.nodeFiles = fmt.Sprintf("%s (systemd: %s)", live[3], v.filesConfigured)
	if n, err := strconv.Atoi(live[3]); err == nil && n < 65535 && v.filesConfigured == "65535" {
		v.nodeFiles = fmt.Sprintf("%s (systemd: %s; this container caps it, a real VPS does not)", live[3], v.filesConfigured)
	}
	return true
}

// row is one line of the before/after table and whether its after-value
// is the hardened state.
type row struct {
	what          string
	before, after string
	ok            bool
}

// report prints what changed and says whether the VPS is hardened.
func report(w io.Writer, before, after view) bool {
	rows := []row{
		{"SSH on port 22", before.port22, after.port22, after.port22 == "closed"},
		{"key login as " + vps.DeployUser, before.keyLogin, after.keyLogin,
			after.keyLogin == fmt.Sprintf("works on port %d", newSSHPort)},
		{"password login as " + vps.DeployUser, before.password, after.password, after.password == "refused"},
		{"root login with a key", before.rootLogin, after.rootLogin, after.rootLogin == "refused"},
		{fmt.Sprintf("node API, port %d", apiPort), before.apiDirect, after.apiDirect, after.apiDirect == "unreachable"},
		{fmt.Sprintf("node API via HAProxy, port %d", proxyPort), before.apiProxied, after.apiProxied, after.proxyOK},
		{"node runs as", before.nodeUser, after.nodeUser, after.nodeUser == "iri"},
		{"node's open-files limit", before.nodeFiles, after.nodeFiles, after.filesConfigured == "65535"},
	}
	fmt.Fprintln(w, "What changed, seen from outside (from this machine, over the VPS's network link):")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "\t\tbefore\tafter")
	hardened := true
	for _, r := range rows {
		mark := "ok"
		if !r.ok {
			mark, hardened = "NOT HARDENED", false
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", mark, r.what, r.before, r.after)
	}
	tw.Flush()
	fmt.Fprintln(w)
	return hardened
}
