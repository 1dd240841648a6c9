//go:build system

package system

import (
	"os"
	"strings"
	"testing"

	"harden/integration/vps"
)

// TestFreshVPS checks the harness's own promises: the machine boots, the
// operator gets in with the key and sudo, the fresh VPS really is as weak as
// the scenarios assume (password and root key logins accepted), and it has
// a network of its own.
func TestFreshVPS(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		m := vps.Boot(t, vps.Options{Release: rel, NoHarden: true})

		r := m.MustSudo("id -u")
		if got := strings.TrimSpace(r.Stdout); got != "0" {
			t.Fatalf("sudo as %s runs as uid %q, want 0\n%s", vps.DeployUser, got, r)
		}
		r = m.SSH(vps.DeployUser, 22, "id -un")
		m.Expect(r)
		if got := strings.TrimSpace(r.Stdout); got != vps.DeployUser {
			t.Fatalf("key login lands as %q, want %s", got, vps.DeployUser)
		}
		m.Expect(m.PasswordLogin(vps.DeployUser, vps.DeployPassword, 22))
		m.Expect(m.SSH("root", 22, "true"))
		// The harness's own path into the machine sees the same sshd.
		r = m.MustShell("sshd -T | grep -i '^passwordauthentication'")
		if !strings.Contains(r.Stdout, "yes") {
			t.Fatalf("fresh VPS should accept passwords (cloud-init drop-in):\n%s", r)
		}
		// The offline package cache harden's haproxy module relies on.
		m.MustShell("ls /var/cache/apt/archives/haproxy_*.deb")
		// Commands under sudo reach systemd in the machine.
		m.MustSudo("systemctl is-active ssh.service")
		if _, err := os.Stat(m.Dir + "/usr/local/bin/harden"); err == nil {
			t.Fatalf("NoHarden machine has a harden binary")
		}
		checkRelease(t, m, rel)
	})
}

// shipped is what each Debian release ships, so a machine proves it is
// the release it claims to be.
var shipped = map[string]struct{ openssh, haproxyDeb string }{
	"12": {"OpenSSH_9.2", "haproxy_2.6."},
	"13": {"OpenSSH_10.0", "haproxy_3.0."},
}

// checkRelease fails unless the machine runs rel: its os-release, its
// OpenSSH and HAProxy, and its sshd layout (who holds port 22).
func checkRelease(t *testing.T, m *vps.Machine, rel vps.Release) {
	t.Helper()
	want, ok := shipped[rel.Version]
	if !ok {
		t.Fatalf("no shipped versions known for Debian %s", rel.Version)
	}
	m.MustShell(". /etc/os-release && test \"$VERSION_ID\" = " + rel.Version)
	if r := m.MustShell("ssh -V 2>&1"); !strings.HasPrefix(r.Stdout, want.openssh) {
		t.Errorf("%s ships %s, the machine has:\n%s", rel, want.openssh, r)
	}
	m.MustShell("ls /var/cache/apt/archives/" + want.haproxyDeb + "*")
	// Units live under /usr/lib on both (merged /usr: /lib is a link).
	m.MustShell("test -L /lib && test -f /usr/lib/systemd/system/ssh.service")

	holders := m.MustShell("ss -Hltnp 'sport = :22'").Stdout
	service := m.MustShell("systemctl is-enabled ssh.service ssh.socket || true").Stdout
	if rel.SocketSSH {
		// systemd holds the listening socket and hands it to sshd.
		if service != "disabled\nenabled\n" || !strings.Contains(holders, `"systemd",pid=1,`) {
			t.Errorf("%s: want ssh.service disabled, ssh.socket enabled, port 22 held by systemd; got\n%s%s", rel, service, holders)
		}
		return
	}
	if service != "enabled\ndisabled\n" || strings.Contains(holders, `"systemd"`) || !strings.Contains(holders, `"sshd"`) {
		t.Errorf("%s: want ssh.service enabled, ssh.socket disabled, port 22 held by sshd alone; got\n%s%s", rel, service, holders)
	}
}

// TestMachineIsRemoved checks that a stopped machine leaves nothing: its
// directory and its host-side veth end are gone once its test ends.
func TestMachineIsRemoved(t *testing.T) {
	t.Parallel()
	vps.Require(t)
	var dir, name string
	t.Run("boot", func(t *testing.T) {
		m := vps.Boot(t, vps.Options{NoHarden: true})
		dir, name = m.Dir, m.Name
		m.MustShell("touch /root/marker")
	})
	if dir == "" {
		t.Fatal("machine never booted")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("machine directory %s still there (%v)", dir, err)
	}
	if _, err := os.Stat("/sys/class/net/ve-" + name); !os.IsNotExist(err) {
		t.Errorf("host veth ve-%s still there (%v)", name, err)
	}
}
