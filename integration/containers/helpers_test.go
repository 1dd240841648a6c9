//go:build system

package containers

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// nodeImage is the container image every scenario builds inside its VPS:
// the static binaries (tcplisten, iristub, iotastub) and busybox, nothing
// else.
const nodeImage = "harden-test/node"

// profilePath is where a scenario's own profile goes inside the VPS.
const profilePath = "/etc/harden/containers.hcl"

// dockerVPS is a booted VPS running Docker, with a listener on the host's
// end of its link that greets "outside".
type dockerVPS struct {
	*vps.Machine
	t       *testing.T
	outside string // host:port of the listener
}

// bootDocker boots the release's Docker VPS with the static binaries in
// /usr/local/bin and files (path in the VPS -> content) written before the
// first boot, and builds nodeImage there, offline.
func bootDocker(t *testing.T, rel vps.Release, files map[string]string) *dockerVPS {
	t.Helper()
	d := &dockerVPS{t: t}
	bins := binaries(t)
	d.Machine = vps.Boot(t, vps.Options{Release: rel, Docker: true, Prepare: func(m *vps.Machine) error {
		all := maps.Clone(files)
		for name, bin := range bins {
			data, err := os.ReadFile(bin)
			if err != nil {
				return err
			}
			all["/usr/local/bin/"+name] = string(data)
		}
		for p, data := range all {
			if err := writeFile(m, p, data); err != nil {
				return err
			}
		}
		ln, err := m.ListenHost()
		if err != nil {
			return err
		}
		d.outside = ln.Addr().String()
		go greet(ln, "outside")
		return nil
	}})
	start := time.Now()
	d.MustShell("set -e; dir=$(mktemp -d); cp /usr/local/bin/tcplisten /usr/local/bin/iristub /usr/local/bin/iotastub \"$(command -v busybox)\" \"$dir\"/;" +
		" tar -C \"$dir\" -c . | docker import - " + nodeImage + "; rm -r \"$dir\"")
	t.Logf("image %s imported in %s", nodeImage, time.Since(start).Round(time.Millisecond))
	return d
}

// writeFile writes a file into the machine's tree (executable under bin/).
func writeFile(m *vps.Machine, p, data string) error {
	full := filepath.Join(m.Dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if strings.Contains(p, "/bin/") {
		mode = 0o755
	}
	return os.WriteFile(full, []byte(data), mode)
}

// greet answers every connection to ln with word.
func greet(ln net.Listener, word string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(c, "%s\n", word)
		c.Close()
	}
}

// runNode starts a container that publishes the gossip and API ports on
// every address and listens on both, restarted with Docker (at boot) and
// stopped in a second.
func (d *dockerVPS) runNode(name string) {
	d.t.Helper()
	d.MustShell(fmt.Sprintf("docker run -d --name %s --restart unless-stopped --stop-timeout 1 -p %d:%d -p %d:%d %s /tcplisten %d %d",
		name, gossipPort, gossipPort, apiPort, apiPort, nodeImage, gossipPort, apiPort))
}

// checkEgress proves that the running container and a new one reach the
// host's listener: their traffic is forwarded out of the VPS.
func (d *dockerVPS) checkEgress(when, container string) {
	d.t.Helper()
	host, port, _ := net.SplitHostPort(d.outside)
	nc := fmt.Sprintf("/busybox nc -w 5 %s %s", host, port)
	for _, cmd := range []string{"docker exec " + container + " " + nc, "docker run --rm " + nodeImage + " " + nc} {
		if r := d.Shell(cmd); !strings.HasPrefix(r.Stdout, "outside") {
			d.t.Errorf("%s: a container does not reach the outside:\n%s", when, r)
		}
	}
}

// apply writes profile into the VPS, applies it the operator's way and
// confirms from a new session. It returns apply's output.
func (d *dockerVPS) apply(profile string) string {
	d.t.Helper()
	if err := writeFile(d.Machine, profilePath, profile); err != nil {
		d.t.Fatal(err)
	}
	return d.applyAndConfirm("-profile "+profilePath, d.Port)
}

// applyAndConfirm applies with args from a session on d.Port, waits for
// sshd on sshPort (where the profile puts it) and confirms from a new
// session there, as the operator is told to. It returns apply's output.
func (d *dockerVPS) applyAndConfirm(args string, sshPort int) string {
	d.t.Helper()
	r := d.MustSudo("harden apply -auto-approve " + args)
	if err := d.WaitSSH(sshPort, 10*time.Second); err != nil {
		d.t.Fatalf("sshd does not answer on %d after apply: %v\n%s", sshPort, err, r)
	}
	d.Port = sshPort
	d.MustSudo("harden confirm")
	// sshd re-executes on the reload that closes the old port.
	if err := d.WaitSSH(sshPort, 10*time.Second); err != nil {
		d.t.Fatalf("sshd does not answer on %d after confirm: %v", sshPort, err)
	}
	return r.Stdout + r.Stderr
}

// emptyPlan fails the test unless a plan of args shows no change.
func (d *dockerVPS) emptyPlan(args string) {
	d.t.Helper()
	if r := d.Sudo("harden plan -detailed-exitcode " + args); r.Exit != 0 {
		d.t.Errorf("the plan after apply is not empty:\n%s", r)
	}
}

// waitGreeting waits until port answers from the host with tcplisten's
// greeting for that port.
func (d *dockerVPS) waitGreeting(port int, limit time.Duration) error {
	want := fmt.Sprintf("tcplisten %d", port)
	deadline := time.Now().Add(limit)
	for {
		line, err := d.Banner(port)
		if err == nil && line == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %q from %s:%d after %s (%q, %v)", want, d.Addr, port, limit, line, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
