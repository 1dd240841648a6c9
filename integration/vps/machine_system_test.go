//go:build system

package vps_test

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"harden/integration/vps"
)

// TestExecPassesDollarsThrough checks that a command reaches the machine
// as written: systemd, which runs it, would otherwise replace $VAR and
// ${VAR} with its own environment before the program sees them.
func TestExecPassesDollarsThrough(t *testing.T) {
	t.Parallel()
	vps.ForEachRelease(t, func(t *testing.T, rel vps.Release) {
		m := vps.Boot(t, vps.Options{NoHarden: true, Release: rel})

		// The shell inside expands its own variables: systemd must leave them.
		r := m.MustShell(`HOME=/from-shell X=ok; echo "$HOME ${X}"`)
		if got := strings.TrimSpace(r.Stdout); got != "/from-shell ok" {
			t.Errorf("shell variables: got %q\n%s", got, r)
		}
		// Without a shell every byte arrives literally.
		args := []string{"$HOME", "${HOME}", "$$", "a$b", "100%", "%n", `\$x`}
		r = m.Exec(append([]string{"/usr/bin/printf", "%s\n"}, args...)...)
		m.Expect(r)
		if got := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n"); strings.Join(got, " ") != strings.Join(args, " ") {
			t.Errorf("arguments changed on the way in:\n got %q\nwant %q", got, args)
		}
	})
}

// movedSSHPort is where TestPrepareShapesFirstBoot's machine has sshd.
const movedSSHPort = 2200

// TestPrepareShapesFirstBoot checks Options.Prepare, SSHPort and
// ListenHost: a file written into the tree before boot moves sshd, Boot
// waits for it on the new port, and the machine reaches a listener the
// host opened before the link existed.
func TestPrepareShapesFirstBoot(t *testing.T) {
	t.Parallel()
	// A socket-activated sshd takes its port from ssh.socket, not from
	// sshd_config: the drop-in below moves sshd only where sshd listens.
	var rel vps.Release
	for _, r := range vps.Releases() {
		if !r.SocketSSH {
			rel = r
			break
		}
	}
	if rel.Name == "" {
		t.Skip("no release of the run has sshd listening by itself")
	}
	var served string
	m := vps.Boot(t, vps.Options{Release: rel, NoHarden: true, SSHPort: movedSSHPort,
		Prepare: func(m *vps.Machine) error {
			if _, err := os.Stat(filepath.Join(m.Dir, "etc/ssh/sshd_config")); err != nil {
				return fmt.Errorf("Prepare does not see the unpacked tree: %w", err)
			}
			dropIn := fmt.Sprintf("Port %d\n", movedSSHPort)
			if err := os.WriteFile(filepath.Join(m.Dir, "etc/ssh/sshd_config.d/10-port.conf"), []byte(dropIn), 0o644); err != nil {
				return err
			}
			ln, err := m.ListenHost()
			if err != nil {
				return err
			}
			if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != m.HostAddr {
				return fmt.Errorf("ListenHost listens on %s, want %s only", ln.Addr(), m.HostAddr)
			}
			served = ln.Addr().String()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					fmt.Fprintf(c, "hello %s\n", m.Name)
					c.Close()
				}
			}()
			return nil
		}})

	if m.Port != movedSSHPort {
		t.Errorf("m.Port = %d after Boot, want %d", m.Port, movedSSHPort)
	}
	if banner, err := m.Banner(22); err == nil {
		t.Errorf("port 22 answers %q; the drop-in written before boot was not used", banner)
	}
	m.Expect(m.SSH(vps.DeployUser, m.Port, "true"))
	host, port, _ := net.SplitHostPort(served)
	r := m.Exec("/bin/bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%s && cat <&3", host, port))
	m.Expect(r)
	if got := strings.TrimSpace(r.Stdout); got != "hello "+m.Name {
		t.Errorf("the host's listener said %q", got)
	}
}

// TestMachinesHaveCgroupsOfTheirOwn checks that machines running at once
// live in cgroups of their own (their systemds would otherwise share one
// tree and fail each other's units), and that the cgroups go with them.
func TestMachinesHaveCgroupsOfTheirOwn(t *testing.T) {
	t.Parallel()
	vps.Require(t)
	if vps.Parallel() < 2 {
		t.Skip("needs two machines at once (HARDEN_TEST_PARALLEL >= 2)")
	}
	groups := map[string]uint64{} // directory: its inode while the machine ran
	t.Run("two at once", func(t *testing.T) {
		for range 2 {
			m := vps.Boot(t, vps.Options{NoHarden: true})
			dirs := m.Cgroups()
			if len(dirs) == 0 {
				t.Fatal("the machine has no cgroup of its own")
			}
			for _, dir := range dirs {
				if !strings.HasSuffix(dir, m.Name) {
					t.Errorf("cgroup %s is not named for %s", dir, m.Name)
				}
				if procsBelow(t, dir) == 0 {
					t.Errorf("no process of %s in its cgroup %s", m.Name, dir)
				}
				if _, shared := groups[dir]; shared {
					t.Errorf("two machines running at once share cgroup %s", dir)
				}
				ino, err := inode(dir)
				if err != nil {
					t.Fatal(err)
				}
				groups[dir] = ino
			}
		}
	})
	// A later machine of the same slot (another test's) makes a cgroup of
	// the same name: only the very directory would be a leftover.
	for dir, ino := range groups {
		if now, err := inode(dir); err == nil && now == ino {
			t.Errorf("cgroup %s still there after its machine stopped", dir)
		}
	}
}

func inode(path string) (uint64, error) {
	var st syscall.Stat_t
	err := syscall.Stat(path, &st)
	return st.Ino, err
}

// procsBelow counts the processes in cgroup dir and its children.
func procsBelow(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return err
		}
		data, err := os.ReadFile(path)
		n += len(strings.Fields(string(data)))
		return err
	})
	if err != nil {
		t.Fatalf("read cgroup %s: %v", dir, err)
	}
	return n
}
