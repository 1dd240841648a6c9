package limits

import (
	"fmt"
	"strconv"
	"strings"

	"harden/modules/module"
)

// plan_container.go: the plan for a node in a Docker container (see the
// package doc). Pure: State in, changes and words out.

// dockerChange: daemon.json is right but the running dockerd started
// before it changed.
type dockerChange struct{}

// planContainer plans daemon.json and, live, the restart of dockerd that
// gives the container its limit.
func (m *Module) planContainer(st *State, p *module.Plan) {
	c := m.cfg
	d := st.Docker
	target := int64(c.Nofile)
	if d != nil && d.Cap > 0 && d.Cap < uint64(target) {
		target = int64(d.Cap)
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"the environment caps open files at %d (the service manager's own hard limit): runc cannot give a container more, "+
				"and a container asking for more does not start, so daemon.json gets %d instead of %d", d.Cap, target, c.Nofile))
	}
	have, ok, _ := st.daemon.nofile() // Read refused a file it cannot read
	fileChanged := !ok || have.Soft != target || have.Hard != target
	restart, why := m.dockerRestart(d)
	if fileChanged {
		p.Changes = append(p.Changes, m.daemonJSONChange(st, have, ok, target, restart))
	}

	switch {
	case st.Offline:
		p.Notes = append(p.Notes, "offline root: planned from files only; dockerd and the container's running limit are not checked")
		return
	case d == nil:
		p.Warnings = append(p.Warnings, fmt.Sprintf("could not read Docker's state (%s): the container's live limit is not checked", st.DockerErr))
		return
	case d.LoadState != "loaded":
		p.Notes = append(p.Notes, fmt.Sprintf("%s is not installed (%s): dockerd reads %s once it is", dockerUnit, d.LoadState, DaemonJSONPath))
		return
	case !d.Active:
		p.Notes = append(p.Notes, fmt.Sprintf("%s is not running: dockerd reads %s when it starts", dockerUnit, DaemonJSONPath))
		return
	}
	pending := !fileChanged && !d.Started.IsZero() && st.DaemonJSONMod.After(d.Started)
	if pending && restart {
		p.Changes = append(p.Changes, module.Change{Module: "limits", Address: "limits.daemon[" + dockerUnit + "]",
			Action: module.Update, Data: dockerChange{}, Effects: []string{"restart " + dockerUnit},
			Fields: []module.Field{{Name: "dockerd started", Before: "before " + DaemonJSONPath + " changed", After: "after"}}})
	}
	needsRestart := fileChanged || pending
	switch {
	case needsRestart && restart:
		p.Warnings = append(p.Warnings, restartWarning(d))
	case needsRestart && c.Restart:
		p.Warnings = append(p.Warnings, why)
	case needsRestart:
		p.Warnings = append(p.Warnings, fmt.Sprintf("dockerd reads %s only when it starts: `systemctl restart %s` gives containers the new limit "+
			"(restart = false); %s", DaemonJSONPath, dockerUnit, restartWarning(d)))
	}
	m.checkNode(d, target, needsRestart, p)
}

// daemonJSONChange is the whole-file change of daemon.json, its field the
// old and new nofile, and the container's running limit when it moves.
func (m *Module) daemonJSONChange(st *State, have Ulimit, had bool, target int64, restart bool) module.Change {
	want, _ := st.daemon.withNofile(target) // nofile() succeeded, so withNofile does
	ch, _ := fileDiff(DaemonJSONPath, st.DaemonJSON, want.render())
	f := module.Field{Name: "default-ulimits nofile", After: Ulimit{Soft: target, Hard: target}.String(), BeforeUnset: !had}
	if had {
		f.Before = have.String()
	}
	ch.Fields = []module.Field{f}
	if restart {
		ch.Effects = []string{"restart " + dockerUnit}
		if n := st.Docker.Node; n != nil && n.Running && n.Own == nil && n.ProcSoft < uint64(target) {
			ch.Fields = append(ch.Fields, module.Field{Name: fmt.Sprintf("open files (container %s, pid %d)", n.Name, n.PID),
				Before: limitString(n.ProcSoft), After: strconv.FormatInt(target, 10)})
		}
	}
	return ch
}

// dockerRestart decides whether the apply restarts docker.service: asked
// for, dockerd running, and every running container back afterwards (a
// restart policy, or live-restore keeping them up). Otherwise it says why
// not.
func (m *Module) dockerRestart(d *Docker) (bool, string) {
	if !m.cfg.Restart || d == nil || !d.Active {
		return false, ""
	}
	if d.LiveRestore {
		return true, ""
	}
	var stranded []string
	for _, c := range d.running() {
		if !c.comesBack() {
			stranded = append(stranded, fmt.Sprintf("%s (restart policy %s)", c.Name, c.Restart))
		}
	}
	if len(stranded) == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("%s is not restarted although restart = true: it would stop every container, and these would stay stopped: %s. "+
		"Give them a restart policy (docker update --restart unless-stopped NAME) or turn on live-restore, or restart %s and start them yourself",
		dockerUnit, strings.Join(stranded, ", "), dockerUnit)
}

// restartWarning says what a restart of docker.service does to the
// containers.
func restartWarning(d *Docker) string {
	if d.LiveRestore {
		return fmt.Sprintf("with live-restore the containers keep running through the restart of %s, with the limit they started with: "+
			"`docker restart NAME` gives one the new limit", dockerUnit)
	}
	var names []string
	for _, c := range d.running() {
		names = append(names, fmt.Sprintf("%s (%s)", c.Name, c.Restart))
	}
	running := "none runs now"
	if len(names) > 0 {
		running = "running now: " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("restarting %s stops every container and starts again those with a restart policy (always, unless-stopped), "+
		"with the new limit; %s", dockerUnit, running)
}

// checkNode reports the node's container: not there, stopped, held low by
// its own ulimit, or started before the daemon had the limit.
func (m *Module) checkNode(d *Docker, target int64, needsRestart bool, p *module.Plan) {
	name := m.cfg.Container
	n := d.Node
	switch {
	case n == nil:
		p.Notes = append(p.Notes, fmt.Sprintf("no container named %s: its limit is checked once it runs", name))
	case !n.Running:
		p.Notes = append(p.Notes, fmt.Sprintf("container %s is not running: its limit is checked once it runs", name))
	case n.Own != nil && n.Own.Soft < target:
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"container %s sets its own nofile ulimit (%s: docker run --ulimit, or ulimits in its compose file), which wins over the daemon's default: "+
				"it runs with %s open files; set nofile to %d there and recreate it", name, n.Own, limitString(n.ProcSoft), target))
	case n.ProcSoft < uint64(target) && !needsRestart:
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"container %s (pid %d) runs with %s open files: it started before dockerd had the limit; `docker restart %s` gives it %d",
			name, n.PID, limitString(n.ProcSoft), name, target))
	}
}

// running are the containers that run now, the node's included.
func (d *Docker) running() []Container {
	var out []Container
	if d.Node != nil && d.Node.Running {
		out = append(out, *d.Node)
	}
	return append(out, d.Others...)
}
