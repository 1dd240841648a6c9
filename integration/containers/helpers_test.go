//go:build system

package containers

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// nodeImage is the container image every scenario builds inside its VPS:
// the static tcplisten and busybox, nothing else.
const nodeImage = "harden-test/node"

// profilePath is where a scenario's profile goes inside the VPS.
const profilePath = "/etc/harden/containers.hcl"

// dockerVPS is a booted VPS running Docker, with a listener on the host's
// end of its link that greets "outside".
type dockerVPS struct {
	*vps.Machine
	t       *testing.T
	outside string // host:port of the listener
}

// bootDocker boots the release's Docker VPS with tcplisten in it and
// builds nodeImage there, offline.
func bootDocker(t *testing.T, rel vps.Release) *dockerVPS {
	t.Helper()
	d := &dockerVPS{t: t}
	listener := tcplisten(t)
	d.Machine = vps.Boot(t, vps.Options{Release: rel, Docker: true, Prepare: func(m *vps.Machine) error {
		data, err := os.ReadFile(listener)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(m.Dir, "usr/local/bin/tcplisten"), data, 0o755); err != nil {
			return err
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
	d.MustShell("set -e; dir=$(mktemp -d); cp /usr/local/bin/tcplisten \"$(command -v busybox)\" \"$dir\"/;" +
		" tar -C \"$dir\" -c . | docker import - " + nodeImage + "; rm -r \"$dir\"")
	t.Logf("image %s imported in %s", nodeImage, time.Since(start).Round(time.Millisecond))
	return d
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
	if err := os.MkdirAll(filepath.Join(d.Dir, filepath.Dir(profilePath)), 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.Dir, profilePath), []byte(profile), 0o644); err != nil {
		d.t.Fatal(err)
	}
	r := d.MustSudo("harden apply -auto-approve -profile " + profilePath)
	d.MustSudo("harden confirm")
	return r.Stdout + r.Stderr
}

// emptyPlan fails the test unless a plan shows no change.
func (d *dockerVPS) emptyPlan() {
	d.t.Helper()
	if r := d.Sudo("harden plan -detailed-exitcode -profile " + profilePath); r.Exit != 0 {
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
