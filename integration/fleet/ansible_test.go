//go:build system

package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"harden/integration/vps"
)

// sshPort is where the packaged default profile (iri-node) moves sshd.
const sshPort = 2222

// playLimit bounds one ansible-playbook run.
const playLimit = 150 * time.Second

// requireAnsible skips where the host has no Debian ansible.
func requireAnsible(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ansible-playbook", "ansible-galaxy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("the fleet tier needs Debian's ansible on the host (apt-get install ansible)")
		}
	}
}

// controller is the operator's machine: an ansible home of its own (no
// ~/.ansible, known_hosts or control sockets of the host's root touched)
// with the harden collection installed from the source tree.
type controller struct {
	home string
	root string // the source tree
	key  string // the operator's private key, once machines are up
	deb  string // the package the role installs, once built
}

var (
	debOnce sync.Once
	debPath string
	debErr  error
)

// buildPackage builds the .deb the role installs, once per test binary
// (any goroutine; the error is for the caller to report).
func buildPackage() (string, error) {
	debOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		debPath, debErr = vps.BuildDeb(ctx, debDir, "0.1.0+fleet1")
	})
	return debPath, debErr
}

// newController installs the collection as an operator would
// (ansible-galaxy collection install packaging/ansible).
func newController(t testing.TB) *controller {
	t.Helper()
	requireAnsible(t)
	// A short home: ssh's control sockets live under it, and a socket's
	// path holds at most 107 bytes (t.TempDir() names the test).
	home, err := os.MkdirTemp("", "fleet-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	root, err := vps.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := &controller{home: home, root: root}
	r := c.command(nil, "ansible-galaxy", "collection", "install", "-p", filepath.Join(c.home, "collections"),
		filepath.Join(root, "packaging/ansible"))
	if r.Exit != 0 {
		t.Fatalf("install the collection:\n%s", r)
	}
	return c
}

// buildInBackground starts building the .deb (while machines boot).
func (c *controller) buildInBackground() { go buildPackage() }

// waitPackage waits for the .deb, building it if no one has started.
func (c *controller) waitPackage(t testing.TB) {
	t.Helper()
	deb, err := buildPackage()
	if err != nil {
		t.Fatalf("%v", err)
	}
	c.deb = deb
}

// node is one inventory host: a booted machine and the port the inventory
// says sshd listens on.
type node struct {
	name string
	m    *vps.Machine
	port int
}

// play is one ansible-playbook run of the role and what came of it.
type play struct {
	Wall    time.Duration
	Result  vps.Result
	Stats   map[string]hostStats // the recap, by host
	Reports map[string]report    // the last harden_result of each host the role reached
}

// hostStats is a host's line of the play recap.
type hostStats struct {
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Failures    int `json:"failures"`
	Unreachable int `json:"unreachable"`
	Rescued     int `json:"rescued"`
}

// report is the role's harden_result fact.
type report struct {
	Status      string   `json:"status"`
	Run         string   `json:"run"`
	Changes     int      `json:"changes"`
	Port        int      `json:"port"`
	Deadline    string   `json:"deadline"`
	ClosedPorts []int    `json:"closed_ports"`
	Addresses   []string `json:"addresses"`
	SSHPorts    []int    `json:"ssh_ports"`
	Error       string   `json:"error"`
}

// playSpec is one ansible-playbook run of a one-role play over the group
// "fleet".
type playSpec struct {
	inventory string
	role      string // as the play names it: harden.fleet.harden, or harden by path
	vars      map[string]any
	flags     []string // ansible-playbook's own (--check)
	env       []string
}

// playbook runs the installed collection's role on nodes with the given
// role variables (on top of the .deb) and ansible-playbook flags.
func (c *controller) playbook(t testing.TB, nodes []node, vars map[string]any, flags ...string) play {
	t.Helper()
	c.waitPackage(t)
	c.key = vps.Shared(t).Key.Private
	p, err := c.run(c.fleetPlay(nodes, vars, flags...))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// fleetPlay is the play playbook runs, for a run from another goroutine
// (after a first playbook call).
func (c *controller) fleetPlay(nodes []node, vars map[string]any, flags ...string) playSpec {
	all := map[string]any{"harden_deb_src": c.deb}
	for k, v := range vars {
		all[k] = v
	}
	return playSpec{inventory: c.inventory(nodes), role: "harden.fleet.harden", vars: all, flags: flags}
}

// run runs a play and reads its recap and the role's results; it reports
// instead of failing, so any goroutine may call it.
func (c *controller) run(spec playSpec) (play, error) {
	dir, err := os.MkdirTemp(c.home, "run-")
	if err != nil {
		return play{}, err
	}
	varsJSON, err := json.Marshal(spec.vars)
	if err != nil {
		return play{}, err
	}
	files := map[string]string{
		"inventory.ini": spec.inventory,
		"vars.json":     string(varsJSON),
		"play.yml": "- name: Harden the fleet\n  hosts: fleet\n  gather_facts: false\n" +
			"  roles:\n    - role: " + spec.role + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return play{}, err
		}
	}
	args := append([]string{"-i", filepath.Join(dir, "inventory.ini"), "-e", "@" + filepath.Join(dir, "vars.json")},
		spec.flags...)
	start := time.Now()
	r := c.command(spec.env, "ansible-playbook", append(args, filepath.Join(dir, "play.yml"))...)
	p := play{Wall: time.Since(start), Result: r}
	var out struct {
		Stats map[string]hostStats `json:"stats"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		return p, fmt.Errorf("ansible-playbook printed no JSON recap: %w\n%s", err, r)
	}
	p.Stats = out.Stats
	p.Reports = p.results()
	return p, nil
}

// results are the last harden_result fact the role set on each host.
func (p play) results() map[string]report {
	out := map[string]report{}
	for _, pl := range p.doc().Plays {
		for _, task := range pl.Tasks {
			for host, r := range task.Hosts {
				if raw, ok := r.Facts["harden_result"]; ok {
					var rep report
					if err := json.Unmarshal(raw, &rep); err == nil {
						out[host] = rep
					}
				}
			}
		}
	}
	return out
}

// readReports reads the per-host files the role wrote to
// harden_report_dir.
func readReports(dir string) (map[string]report, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]report{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var rep report
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", f, err, data)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = rep
	}
	return out, nil
}

// inventory is an INI inventory of nodes: deploy with the harness key,
// a throwaway known_hosts (each machine has a fresh host key).
func (c *controller) inventory(nodes []node) string {
	var b strings.Builder
	b.WriteString("[fleet]\n")
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s ansible_host=%s ansible_port=%d\n", n.name, n.m.Addr, n.port)
	}
	fmt.Fprintf(&b, "\n[fleet:vars]\nansible_user=%s\nansible_ssh_private_key_file=%s\n"+
		"ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"+
		"ansible_python_interpreter=/usr/bin/python3\n", vps.DeployUser, c.key)
	return b.String()
}

// command runs an ansible tool with the controller's home and settings:
// the JSON callback (a recap a test can read), the collection path.
func (c *controller) command(env []string, name string, args ...string) vps.Result {
	ctx, cancel := context.WithTimeout(context.Background(), playLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "HOME="+c.home,
		"ANSIBLE_COLLECTIONS_PATH="+filepath.Join(c.home, "collections"),
		"ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
		// What the README recommends for fleets: one round trip a task.
		"ANSIBLE_PIPELINING=1",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(c.home, "tmp"))
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := vps.Result{Cmd: name + " " + strings.Join(args, " "), Stdout: stdout.String(), Stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
		r.Exit = exit.ExitCode()
	} else if err != nil {
		r.Exit, r.Err = -1, err
	}
	return r
}

// callbackDoc is the part of the JSON callback's document the tests read.
type callbackDoc struct {
	Plays []struct {
		Tasks []struct {
			Task struct {
				Name     string
				Duration struct{ Start, End time.Time }
			} `json:"task"`
			Hosts map[string]struct {
				Failed      bool   `json:"failed"`
				Unreachable bool   `json:"unreachable"`
				Msg         any    `json:"msg"`
				Stderr      string `json:"stderr"`
				// Facts are what set_fact set (harden_result).
				Facts map[string]json.RawMessage `json:"ansible_facts"`
			} `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
}

func (p play) doc() callbackDoc {
	var doc callbackDoc
	_ = json.Unmarshal([]byte(p.Result.Stdout), &doc)
	return doc
}

// slowest lists the play's n slowest tasks with their wall time.
func (p play) slowest(n int) string {
	type task struct {
		name string
		wall time.Duration
	}
	var tasks []task
	for _, pl := range p.doc().Plays {
		for _, t := range pl.Tasks {
			if d := t.Task.Duration; !d.End.IsZero() { // meta tasks have no end
				tasks = append(tasks, task{t.Task.Name, d.End.Sub(d.Start)})
			}
		}
	}
	slices.SortStableFunc(tasks, func(a, b task) int { return int(b.wall - a.wall) })
	var b strings.Builder
	for _, t := range tasks[:min(n, len(tasks))] {
		fmt.Fprintf(&b, "  %6.2fs  %s\n", t.wall.Seconds(), t.name)
	}
	return b.String()
}

// failures are the messages of the play's failed tasks, by host, for a
// failing test's log (the JSON callback's document is long).
func (p play) failures() string {
	doc := p.doc()
	var b strings.Builder
	for _, pl := range doc.Plays {
		for _, task := range pl.Tasks {
			for host, r := range task.Hosts {
				if r.Failed || r.Unreachable {
					fmt.Fprintf(&b, "%s: %s: %v %s\n", host, task.Task.Name, r.Msg, r.Stderr)
				}
			}
		}
	}
	if b.Len() == 0 {
		return p.Result.String()
	}
	return b.String() + "--- stderr\n" + p.Result.Stderr
}
