package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Ports of the public node profile.
const (
	newSSHPort = 2222  // the profile's var.ssh_port
	apiPort    = 14265 // the node's own API
	proxyPort  = 14267 // HAProxy in front of it
)

// publicPorts are the ports whose listeners on this machine must not change.
var publicPorts = []int{22, newSSHPort, apiPort, proxyPort}

// nodeUnit runs the stand-in node the way a fresh VPS often runs IRI: as
// root, with the stock open-files limit, its API open on every address.
var nodeUnit = fmt.Sprintf(`[Unit]
Description=IRI node (stand-in)

[Service]
ExecStart=/usr/local/bin/iristub -listen 0.0.0.0:%d

[Install]
WantedBy=multi-user.target
`, apiPort)

type demo struct {
	out     io.Writer
	profile string
	start   time.Time
	tmp     string
	harden  string    // path of the harden binary put on the VPS
	node    string    // path of the stand-in node's binary
	logs    io.Writer // where harden's own logs go (nil: nowhere)
	cols    int       // the terminal's width when the demo writes to one

	hardened bool // every check from outside shows the hardened state
}

func (d *demo) stepf(format string, a ...any) {
	fmt.Fprintf(d.out, "[%5.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, a...))
}

// flow is the operator's job on a fresh VPS, then the view from outside.
func (d *demo) flow(t testing.TB) {
	d.stepf("Booting a fresh Debian 12 VPS (systemd-nspawn, its own network; the image is built on first use)")
	m := vps.Boot(t, vps.Options{Prepare: d.installNode})
	d.stepf("VPS up at %s: stock sshd on port 22 with passwords on, an IRI node (stand-in) running as root", m.Addr)
	if err := d.waitNode(m); err != nil {
		t.Fatalf("the node does not answer on the VPS: %v", err)
	}
	before := look(m, 22)
	d.stepf("Looked at it from outside")

	args := "-profile " + d.profile + " -var restart_node=true"
	d.operator(t, m, "harden plan "+args, false)
	d.operator(t, m, "harden apply -auto-approve "+args, true)
	if err := m.WaitSSH(newSSHPort, 10*time.Second); err != nil {
		t.Fatalf("sshd does not answer on port %d after apply: %v", newSSHPort, err)
	}
	m.Port = newSSHPort // a new session, on the new port, as the apply said
	d.operator(t, m, "harden confirm", false)
	if err := m.WaitSSH(newSSHPort, 10*time.Second); err != nil {
		t.Fatalf("sshd does not answer on port %d after confirm: %v", newSSHPort, err)
	}
	after := look(m, newSSHPort)
	d.stepf("Looked at it from outside again")
	d.hardened = report(d.out, before, after)
}

// installNode puts the stand-in node into the fresh tree, enabled.
func (d *demo) installNode(m *vps.Machine) error {
	data, err := os.ReadFile(d.node)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(m.Dir, "usr/local/bin/iristub"), data, 0o755); err != nil {
		return err
	}
	unit := filepath.Join(m.Dir, "etc/systemd/system/iri.service")
	if err := os.WriteFile(unit, []byte(nodeUnit), 0o644); err != nil {
		return err
	}
	wants := filepath.Join(m.Dir, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	return os.Symlink("/etc/systemd/system/iri.service", filepath.Join(wants, "iri.service"))
}

// waitNode waits until the node answers on its API from this machine.
func (d *demo) waitNode(m *vps.Machine) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, err := apiCall(m.Addr, apiPort, "getNodeInfo")
		if err == nil && status == 200 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("getNodeInfo on %d: status %d, %v", apiPort, status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sudo runs a command the operator's way; from a terminal, harden writes
// to one too (colour, wrapped to its width), as the operator would see it.
func (d *demo) sudo(t testing.TB, m *vps.Machine, command string) vps.Result {
	if d.cols == 0 {
		return m.MustSudo(command)
	}
	r := m.SudoTerminal(d.cols, command)
	m.Expect(r)
	return r
}

// operator runs a harden command as the operator does (ssh, sudo) and shows
// it with its output. An apply shows its plan first: the plan was just
// shown, so only what follows it is.
func (d *demo) operator(t testing.TB, m *vps.Machine, command string, afterPlan bool) {
	fmt.Fprintf(d.out, "\n$ ssh -p %d %s@%s sudo %s\n", m.Port, vps.DeployUser, m.Addr, command)
	start := time.Now()
	r := d.sudo(t, m, command)
	took := time.Since(start)
	if d.logs != nil {
		fmt.Fprint(d.logs, r.Stderr)
	}
	text := r.Stdout
	if afterPlan {
		if i := strings.Index(text, "\nApply complete"); i >= 0 {
			text = "(the plan above)\n" + text[i:]
		}
	}
	fmt.Fprint(d.out, text)
	if !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(d.out)
	}
	d.stepf("(%s took %.1fs)\n", strings.Fields(command)[1], took.Seconds())
}
