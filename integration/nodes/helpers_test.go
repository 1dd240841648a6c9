//go:build system

package nodes

import (
	"strings"
	"time"
)

// Ports of the built-in node profiles.
const (
	sshPort    = 2222  // var.ssh_port's default
	gossipPort = 15600 // IRI's TCP gossip, open on both profiles
	apiPort    = 14265 // IRI's API, never public
	proxyPort  = 14267 // HAProxy in front of the API (iri-public-node)
	strayPort  = 9137  // nothing the profiles know of
)

// harden runs harden the operator's way (ssh as deploy on n.Port, sudo) and
// fails the test unless it exits with one of ok (default 0).
func (n *node) harden(args string, ok ...int) string {
	n.t.Helper()
	r := n.MustSudo("harden "+args, ok...)
	return r.Stdout + r.Stderr
}

// applyAndConfirm applies a profile from a session on port 22, waits for
// sshd on the new port and confirms from a session there, as the operator
// is told to. It returns apply's output.
func (n *node) applyAndConfirm(args string) string {
	n.t.Helper()
	out := n.harden("apply -auto-approve " + args)
	if err := n.WaitSSH(sshPort, 10*time.Second); err != nil {
		n.t.Fatalf("sshd does not answer on %d after apply: %v\n%s", sshPort, err, out)
	}
	n.Port = sshPort
	n.harden("confirm")
	// sshd re-executes on the reload that closes the old port.
	if err := n.WaitSSH(sshPort, 10*time.Second); err != nil {
		n.t.Fatalf("sshd does not answer on %d after confirm: %v", sshPort, err)
	}
	return out
}

// emptyPlan fails the test unless a plan of args shows no change.
func (n *node) emptyPlan(args string) {
	n.t.Helper()
	out := n.harden("plan -detailed-exitcode "+args, 0, 2)
	if !strings.Contains(out, "No changes") {
		n.t.Errorf("second plan is not empty:\n%s", out)
	}
	r := n.Sudo("harden plan -detailed-exitcode " + args)
	if r.Exit != 0 {
		n.t.Errorf("second plan -detailed-exitcode exits %d, want 0:\n%s", r.Exit, r)
	}
}

// listen starts tcplisten on ports inside the VPS as a transient unit and
// proves from inside that each port greets, so a port the host cannot
// reach is closed by the firewall, not for want of a listener.
func (n *node) listen(unit string, ports ...string) {
	n.t.Helper()
	n.mustSh("systemd-run --unit " + unit + " /usr/local/bin/tcplisten " + strings.Join(ports, " "))
	for _, p := range ports {
		script := "for i in $(seq 50); do exec 3<>/dev/tcp/127.0.0.1/" + p +
			" 2>/dev/null && { head -n1 <&3; exit 0; }; sleep 0.1; done; exit 1"
		r := n.sh("bash -c '" + script + "'")
		if !r.OK() || !strings.HasPrefix(r.Stdout, "tcplisten "+p) {
			n.t.Fatalf("listener on %s does not answer inside the VPS:\n%s", p, r)
		}
	}
}

// etcState is every path under /etc with type, mode, owner, link target
// and content hash: equal states mean no file under /etc was touched.
func (n *node) etcState() string {
	n.t.Helper()
	return n.mustSh(`find /etc -xdev -printf '%p %y %m %U:%G %l\n' | sort;` +
		` find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum`).Stdout
}

// diffLines reports lines only in a or only in b.
func diffLines(a, b string) string {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ina, inb := set(a), set(b)
	var out strings.Builder
	for _, l := range strings.Split(a, "\n") {
		if !inb[l] {
			out.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ina[l] {
			out.WriteString("+ " + l + "\n")
		}
	}
	return out.String()
}
