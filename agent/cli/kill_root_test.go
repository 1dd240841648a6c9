//go:build root

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"harden/agent/store"
)

// TestKilledApplyRollsBackFromEveryJournalPosition kills `harden apply`
// (SIGKILL, from a build of harden with the killhook tag) at every journal
// position of the default profile's apply on an image: right after each
// step is journaled (its change not made yet) and right before the next
// (the change made). Each time the next apply refuses and names the run,
// status shows it, and a plain rollback restores the image byte for byte,
// with every mode and owner.
func TestKilledApplyRollsBackFromEveryJournalPosition(t *testing.T) {
	bin := buildKillable(t)
	base := killTree(t)
	want := snapshot(t, base)

	full := copyTree(t, base)
	if out, err := exec.Command(bin, "apply", "-auto-approve", "-root", full, "-profile", "iri-node",
		"-log-level", "error").CombinedOutput(); err != nil {
		t.Fatalf("whole apply: %v\n%s", err, out)
	}
	steps := journalSteps(t, full)
	if steps < 10 {
		t.Fatalf("the whole apply journaled %d steps; the test wants a run that changes more", steps)
	}
	if code, out, errs := run(t, "rollback", "-root", full, "-log-level", "error"); code != ExitOK {
		t.Fatalf("rollback of the whole apply: exit %d\n%s%s", code, out, errs)
	}
	if diff := compare(want, snapshot(t, full)); diff != "" {
		t.Fatalf("rollback of the whole apply left the image changed:\n%s", diff)
	}
	var positions []string
	for n := range steps {
		positions = append(positions, fmt.Sprintf("before:%d", n), fmt.Sprintf("after:%d", n+1))
	}
	for i, at := range positions {
		t.Run(at, func(t *testing.T) {
			tree := copyTree(t, base)
			common := []string{"-root", tree, "-log-level", "error"}
			killedApply(t, bin, at, append([]string{"-profile", "iri-node"}, common...))
			code, _, errs := run(t, append([]string{"apply", "-auto-approve", "-profile", "iri-node"}, common...)...)
			if code != ExitError || !strings.Contains(errs, "was interrupted while applying") ||
				!strings.Contains(errs, "harden rollback -root "+tree) {
				t.Fatalf("apply after the kill: exit %d, want a refusal naming the run and the rollback:\n%s", code, errs)
			}
			if _, out, _ := run(t, append([]string{"status"}, common...)...); !strings.Contains(out, "INTERRUPTED: run") {
				t.Errorf("status does not show the interrupted run:\n%s", out)
			}
			if code, out, errs := run(t, append([]string{"rollback"}, common...)...); code != ExitOK {
				t.Fatalf("rollback: exit %d\n%s%s", code, out, errs)
			}
			if diff := compare(want, snapshot(t, tree)); diff != "" {
				t.Fatalf("rollback after a kill at %s left the image changed:\n%s", at, diff)
			}
			if i == len(positions)/2 {
				code, out, errs := run(t, append([]string{"apply", "-auto-approve", "-profile", "iri-node"}, common...)...)
				if code != ExitOK {
					t.Errorf("apply after the rollback: exit %d\n%s%s", code, out, errs)
				}
			}
		})
	}
}

// buildKillable builds harden with the killhook tag (HARDEN_KILL_AT).
func buildKillable(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "harden")
	cmd := exec.Command("go", "build", "-tags", "killhook", "-o", bin, "./agent/cmd/harden")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags killhook: %v\n%s", err, out)
	}
	return bin
}

// killTree is a stock Debian 12 image for the default profile: sshd's
// config, an operator with a key, the account files as Debian ships them
// (with the shadow tools' backups and lock file), and the nftables unit the
// firewall enables.
func killTree(t *testing.T) string {
	t.Helper()
	root := stockRoot(t)
	files := map[string]string{
		"lib/systemd/system/nftables.service": "[Unit]\nDescription=nftables\n\n[Service]\nType=oneshot\n" +
			"ExecStart=/usr/sbin/nft -f /etc/nftables.conf\n\n[Install]\nWantedBy=sysinit.target\n",
		"etc/shadow":    "root:*:19000:0:99999:7:::\ndeploy:!:19000:0:99999:7:::\n",
		"etc/gshadow":   "root:*::\nsudo:*::deploy\ndeploy:!::\n",
		"etc/.pwd.lock": "",
	}
	for _, f := range accountFiles {
		data, err := os.ReadFile(filepath.Join(root, "etc", f))
		if err != nil && files["etc/"+f] == "" {
			t.Fatal(err)
		}
		if files["etc/"+f] != "" {
			data = []byte(files["etc/"+f])
		}
		files["etc/"+f+"-"] = string(data)
	}
	for p, text := range files {
		mode := os.FileMode(0o644)
		if strings.Contains(p, "shadow") || strings.HasSuffix(p, "lock") {
			mode = 0o640
		}
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// accountFiles are rewritten by useradd and userdel, which keep the
// previous version as NAME- (see shadowBackup).
var accountFiles = []string{"passwd", "group", "shadow", "gshadow"}

// shadowBackup reports the shadow tools' own copies of the previous
// account files (/etc/passwd- and the like): every account command, the
// undo's userdel too, rewrites them with whatever came before, so they
// cannot hold the bytes of before the run; the account files themselves
// must.
func shadowBackup(rel string) bool {
	for _, f := range accountFiles {
		if rel == "etc/"+f+"-" {
			return true
		}
	}
	return false
}

func copyTree(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if out, err := exec.Command("cp", "-a", from+"/.", to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	return to
}

// killedApply runs apply in its own process, killed at the journal
// position at; it fails the test if the process was not killed there.
func killedApply(t *testing.T, bin, at string, args []string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"apply", "-auto-approve"}, args...)...)
	cmd.Env = append(os.Environ(), "HARDEN_KILL_AT="+at)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("apply was not killed at %s: %v\n%s", at, err, out)
	}
}

func journalSteps(t *testing.T, root string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, store.Dir, "runs/*/journal.jsonl"))
	if len(files) != 1 {
		t.Fatalf("want one run, found journals %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// snapshot describes every entry under root but harden's own records:
// type, mode, owner, and the bytes of a file or the target of a link.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == strings.TrimPrefix(store.Dir, "/") {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		switch {
		case shadowBackup(rel):
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %q", data)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compare lists what differs between two snapshots, one line a path.
func compare(want, got map[string]string) string {
	var lines []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			lines = append(lines, "missing "+p)
		} else if g != w {
			lines = append(lines, fmt.Sprintf("changed %s:\n  want %.300s\n  got  %.300s", p, w, g))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			lines = append(lines, "extra "+p)
		}
	}
	return strings.Join(lines, "\n")
}
