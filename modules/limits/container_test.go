package limits

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"harden/modules/host/hosttest"
	"harden/modules/module/moduletest"
)

func TestDecodeContainer(t *testing.T) {
	m := decode(t, "limits {\n  container = \"iri\"\n  user = null\n  restart = true\n}")
	if want := (Config{Nofile: 65535, Container: "iri", Restart: true}); m.cfg != want {
		t.Errorf("config %+v, want %+v (no unit by default with a container)", m.cfg, want)
	}
	tests := []struct {
		name, src, detail string
		line, col         int
	}{
		{"unit and container", "limits {\n  container = \"iri\"\n  unit = \"iri.service\"\n}",
			`unit: the node runs either under a systemd unit or in a container, and container = "iri"; remove one of them.`, 3, 10},
		{"container name", "limits {\n  container = \"/iri node\"\n}",
			`container: "/iri node" is not valid; expected a Docker container name such as "iri" (letters, digits, _ . -).`, 2, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moduletest.WantOneDiag(t, moduletest.Decode(t, &Module{}, tt.src, nil), tt.detail, tt.line, tt.col)
		})
	}
}

// dockerTree writes what readDocker reads under a test root: a container's
// state files, its process in /proc, PID 1's limits.
type dockerTree struct {
	t    *testing.T
	root string
}

func (d dockerTree) write(p, data string) {
	d.t.Helper()
	full := filepath.Join(d.root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func procLimits(soft, hard string) string {
	return "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max open files            " + soft + "                " + hard + "                files     \n"
}

// container writes a container's state files and, for pid > 0, a process
// in the container's cgroup (cgroup2, systemd driver).
func (d dockerTree) container(id, name string, running bool, pid int, hostconfig string) {
	dir := "/var/lib/docker/containers/" + id
	state := `{"State":{"Running":` + map[bool]string{true: "true", false: "false"}[running] + `,"Pid":` + strconv.Itoa(pid) +
		`},"ID":"` + id + `","Name":"/` + name + `","Config":{"Image":"iri"}}`
	d.write(dir+"/config.v2.json", state)
	d.write(dir+"/hostconfig.json", hostconfig)
	if pid > 0 {
		d.write("/proc/"+strconv.Itoa(pid)+"/cgroup", "0::/system.slice/docker-"+id+".scope\n")
		d.write("/proc/"+strconv.Itoa(pid)+"/limits", procLimits("1048576", "1048576"))
	}
}

func TestReadDocker(t *testing.T) {
	h, sd := hosttest.New(t)
	tree := dockerTree{t, h.Root()}
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	sd.Props = map[string]any{"docker.service/LoadState": "loaded", "docker.service/ActiveState": "active",
		"docker.service/ExecMainStartTimestamp": uint64(started.UnixMicro())}
	tree.container("aaa111", "iri", true, 70, `{"RestartPolicy":{"Name":"unless-stopped"},"Ulimits":[{"Name":"nofile","Hard":4096,"Soft":4096}]}`)
	tree.write("/proc/70/limits", procLimits("4096", "4096"))
	tree.container("bbb222", "web", true, 80, `{"RestartPolicy":{"Name":"no"},"Ulimits":null}`)
	// A dockerd that died left "running" and a pid that now belongs to
	// another process: not believed.
	tree.container("ccc333", "stale", true, 90, `{}`)
	tree.write("/proc/90/cgroup", "0::/user.slice\n")
	tree.container("ddd444", "stopped", false, 0, `{"RestartPolicy":{"Name":"always"}}`)
	tree.write("/proc/1/status", "CapEff:\t000001fffeffffff\n")
	tree.write("/proc/1/limits", procLimits("20000", "20000"))
	tree.write("/proc/sys/fs/nr_open", "1048576\n")

	d, err := readDocker(context.Background(), h, "/var/lib/docker", "iri")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Active || !d.Started.Equal(started) || d.Cap != 20000 {
		t.Errorf("daemon: active %v started %v cap %d", d.Active, d.Started, d.Cap)
	}
	n := d.Node
	if n == nil || !n.Running || n.PID != 70 || n.Restart != "unless-stopped" || n.Own == nil || n.Own.String() != "4096:4096" || n.ProcSoft != 4096 {
		t.Fatalf("node container %+v", n)
	}
	var others []string
	for _, c := range d.Others {
		others = append(others, c.Name+":"+c.Restart)
	}
	if !slices.Equal(others, []string{"web:no"}) {
		t.Errorf("other running containers %v, want web only (stale's pid is not its own, stopped is stopped)", others)
	}

	sd.Props["docker.service/LoadState"] = "not-found"
	if d, err := readDocker(context.Background(), h, "/var/lib/docker", "iri"); err != nil || d.LoadState != "not-found" || d.Node != nil {
		t.Errorf("without Docker: %+v, %v", d, err)
	}
}

// convergedDocker is a machine where daemon.json has the limit, dockerd
// loaded it, and the node's container runs with it.
func convergedDocker(t *testing.T, nofile int64) *State {
	t.Helper()
	d, _ := daemonJSON{}.withNofile(nofile)
	st := &State{DaemonJSON: d.render(), DaemonJSONMod: time.Unix(1000, 0), daemon: d,
		Docker: &Docker{LoadState: "loaded", Active: true, Started: time.Unix(2000, 0), Cap: 1 << 20,
			Node: &Container{ID: "aaa", Name: "iri", Running: true, PID: 70, Restart: "unless-stopped",
				ProcSoft: uint64(nofile), ProcHard: uint64(nofile)}}}
	return st
}

func TestPlanContainer(t *testing.T) {
	const fileAddr, daemonAddr = "limits.file[/etc/docker/daemon.json]", "limits.daemon[docker.service]"
	restartDocker := []string{"restart docker.service"}
	fresh := func(s *State) { // no daemon.json; the container got Docker's default
		s.DaemonJSON, s.DaemonJSONMod, s.daemon = nil, time.Time{}, daemonJSON{}
		s.Docker.Node.ProcSoft, s.Docker.Node.ProcHard = 1024, 524288
	}
	tests := []struct {
		name          string
		restart       bool
		mod           func(*State)
		changes       []string
		effects       []string
		warn, note    string
		quiet         bool
		fieldsOfFirst []string
	}{
		{name: "converged", mod: func(*State) {}, quiet: true},
		{name: "fresh, restart allowed", restart: true, mod: fresh, changes: []string{fileAddr}, effects: restartDocker,
			warn:          "restarting docker.service stops every container and starts again those with a restart policy (always, unless-stopped), with the new limit; running now: iri (unless-stopped)",
			fieldsOfFirst: []string{"default-ulimits nofile: (unset) -> 65535:65535", "open files (container iri, pid 70): 1024 -> 65535"}},
		{name: "fresh, restart = false", mod: fresh, changes: []string{fileAddr},
			warn: "dockerd reads /etc/docker/daemon.json only when it starts: `systemctl restart docker.service` gives containers the new limit (restart = false)"},
		{name: "a container that would stay stopped holds the restart back", restart: true, mod: func(s *State) {
			fresh(s)
			s.Docker.Others = []Container{{Name: "web", Running: true, Restart: "no"}}
		}, changes: []string{fileAddr}, warn: "these would stay stopped: web (restart policy no)"},
		{name: "live-restore keeps them running", restart: true, mod: func(s *State) {
			fresh(s)
			s.Docker.LiveRestore = true
			s.Docker.Node.Restart = "no"
		}, changes: []string{fileAddr}, effects: restartDocker, warn: "with live-restore the containers keep running"},
		{name: "file right, dockerd older", restart: true, mod: func(s *State) {
			s.DaemonJSONMod = s.Docker.Started.Add(time.Second)
			s.Docker.Node.ProcSoft = 1024
		}, changes: []string{daemonAddr}, effects: restartDocker, warn: "restarting docker.service stops every container"},
		{name: "file right, dockerd older, restart = false", mod: func(s *State) { s.DaemonJSONMod = s.Docker.Started.Add(time.Second) },
			warn: "`systemctl restart docker.service` gives containers the new limit"},
		{name: "container started before the daemon had the limit", restart: true, mod: func(s *State) { s.Docker.Node.ProcSoft = 1024 },
			warn: "container iri (pid 70) runs with 1024 open files: it started before dockerd had the limit; `docker restart iri` gives it 65535"},
		{name: "own ulimit wins", mod: func(s *State) {
			s.Docker.Node.Own = &Ulimit{Name: "nofile", Soft: 4096, Hard: 4096}
			s.Docker.Node.ProcSoft = 4096
		}, warn: "container iri sets its own nofile ulimit (4096:4096"},
		{name: "cap: daemon.json gets what runc can give", mod: func(s *State) {
			s.Docker.Cap = 20000
			s.Docker.Node.ProcSoft = 20000
		}, changes: []string{fileAddr}, warn: "daemon.json gets 20000 instead of 65535",
			fieldsOfFirst: []string{"default-ulimits nofile: 65535:65535 -> 20000:20000"}},
		{name: "no such container", mod: func(s *State) { s.Docker.Node = nil }, note: "no container named iri"},
		{name: "container stopped", mod: func(s *State) { s.Docker.Node.Running = false }, note: "container iri is not running"},
		{name: "dockerd stopped", restart: true, mod: func(s *State) { fresh(s); s.Docker.Active = false },
			changes: []string{fileAddr}, note: "docker.service is not running"},
		{name: "Docker not installed", mod: func(s *State) { s.Docker = &Docker{LoadState: "not-found"} }, note: "docker.service is not installed"},
		{name: "Docker unreadable", mod: func(s *State) { s.Docker, s.DockerErr = nil, "no bus" }, warn: "could not read Docker's state (no bus)"},
		{name: "offline", restart: true, mod: func(s *State) { fresh(s); s.Offline, s.Docker = true, nil },
			changes: []string{fileAddr}, note: "offline root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "limits {\n  container = \"iri\"\n  user = null\n  restart = " + strconv.FormatBool(tt.restart) + "\n}"
			m := decode(t, src)
			st := convergedDocker(t, 65535)
			tt.mod(st)
			p := checkPlan(t, m, st, tt.changes, tt.effects, tt.warn, tt.note)
			if tt.quiet && len(p.Notes) > 0 {
				t.Errorf("converged plan has notes: %q", p.Notes)
			}
			if tt.fieldsOfFirst != nil {
				var fields []string
				for _, f := range p.Changes[0].Fields {
					before := f.Before
					if f.BeforeUnset {
						before = "(unset)"
					}
					fields = append(fields, f.Name+": "+before+" -> "+f.After)
				}
				if !slices.Equal(fields, tt.fieldsOfFirst) {
					t.Errorf("fields %q, want %q", fields, tt.fieldsOfFirst)
				}
			}
		})
	}
}

func TestApplyDaemonJSON(t *testing.T) {
	ctx := context.Background()
	h, sd := hosttest.New(t)
	tree := dockerTree{t, h.Root()}
	tree.write(DaemonJSONPath, `{"log-driver": "journald", "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 4096, "Soft": 4096}}}`)
	m := decode(t, "limits {\n  container = \"iri\"\n  user = null\n  nofile = 100000\n}")
	p := moduletest.Apply(t, m, h)
	if len(p.Changes) != 1 || !has(p.Notes, "offline root") {
		t.Fatalf("plan %+v", p)
	}
	data, _ := os.ReadFile(filepath.Join(h.Root(), DaemonJSONPath))
	want := "{\n  \"log-driver\": \"journald\",\n  \"default-ulimits\": {\n    \"nofile\": {\n      \"Name\": \"nofile\",\n      \"Hard\": 100000,\n      \"Soft\": 100000\n    }\n  }\n}\n"
	if string(data) != want {
		t.Errorf("daemon.json:\n%s", data)
	}
	if len(sd.Jobs) != 0 {
		t.Errorf("offline apply ran unit jobs: %v", sd.Jobs)
	}
	if err := h.Undo(ctx, h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(h.Root(), DaemonJSONPath)); !strings.Contains(string(data), `"Hard": 4096`) {
		t.Errorf("undo left:\n%s", data)
	}
}

func TestPlanRefusesABrokenDaemonJSON(t *testing.T) {
	h, _ := hosttest.New(t)
	dockerTree{t, h.Root()}.write(DaemonJSONPath, "{\n  \"debug\": true,\n  \"debug\": false\n}\n")
	m := decode(t, "limits {\n  container = \"iri\"\n}")
	_, err := m.Read(context.Background(), h)
	if err == nil || !strings.Contains(err.Error(), `/etc/docker/daemon.json: "debug" is set twice (dockerd does not start with it either: fix the file)`) {
		t.Errorf("error %v", err)
	}
}

func TestAuditContainer(t *testing.T) {
	m := decode(t, "limits {\n  container = \"iri\"\n}")
	verdicts := func(st *State) string {
		var out []string
		for _, f := range m.Audit(st) {
			out = append(out, fmt.Sprintf("%s=%s %s", f.Control, f.Status, f.Found))
		}
		return strings.Join(out, "; ")
	}
	st := convergedDocker(t, 65535)
	if got, want := verdicts(st), "limits.configured=pass 65535:65535; limits.process=pass 65535 (container iri, pid 70)"; got != want {
		t.Errorf("converged: %s\nwant %s", got, want)
	}
	st.daemon, st.Docker.Node.ProcSoft = daemonJSON{}, 4096
	if got, want := verdicts(st), "limits.configured=fail unset; limits.process=fail 4096 (container iri, pid 70)"; got != want {
		t.Errorf("fresh: %s\nwant %s", got, want)
	}
	// Where runc can give at most 20000, 20000 passes.
	st = convergedDocker(t, 20000)
	st.Docker.Cap = 20000
	if got, want := verdicts(st), "limits.configured=pass 20000:20000; limits.process=pass 20000 (container iri, pid 70)"; got != want {
		t.Errorf("capped: %s\nwant %s", got, want)
	}
	st.Docker.Node.Running = false
	if got := verdicts(st); !strings.Contains(got, "limits.process=n/a") {
		t.Errorf("stopped container: %s", got)
	}
}
