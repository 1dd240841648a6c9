package sshd

import (
	"fmt"
	"slices"
	"strings"

	"harden/modules/host"
	"harden/modules/module"
)

// unitJobs are the unit jobs a change needs once its files are written.
// Apply runs them from this value; the plan shows them as Effects, words
// for a person that nothing reads back.
type unitJobs struct {
	// DaemonReload: a unit file changed (the socket's drop-in), or
	// Ubuntu's generator must derive ssh.socket's ports from sshd_config.
	DaemonReload bool
	// MoveSocket: ssh.socket must listen on new ports (host.RestartSocket).
	MoveSocket bool
	// Reload: ssh.service re-reads sshd_config.
	Reload bool
	// Restart: ssh.service starts afresh on sshd_config instead. A
	// socket-activated sshd cannot re-execute on SIGHUP: it loses the
	// sockets systemd handed it and dies ("Cannot bind any address").
	// Sessions survive (KillMode=process); the new sshd takes the sockets.
	Restart bool
}

// effects words the jobs for the plan, in the order Apply runs them.
func (j unitJobs) effects() []string {
	var out []string
	if j.DaemonReload {
		out = append(out, "daemon-reload")
	}
	if j.MoveSocket {
		out = append(out, "restart "+socketUnit+" (with "+serviceUnit+")")
	}
	switch {
	case j.MoveSocket:
	case j.Restart:
		out = append(out, "restart "+serviceUnit)
	case j.Reload:
		out = append(out, "reload "+serviceUnit)
	}
	return out
}

func (j *unitJobs) add(o unitJobs) {
	j.DaemonReload = j.DaemonReload || o.DaemonReload
	j.MoveSocket = j.MoveSocket || o.MoveSocket
	j.Reload = j.Reload || o.Reload
	j.Restart = j.Restart || o.Restart
}

// fileEdit is the payload of a file change: the whole new text.
type fileEdit struct {
	Path    string
	Content string
	// SSHDConfig marks sshd_config and its drop-ins: `sshd -t` checks them
	// together before any of them is written.
	SSHDConfig bool
	// Delete removes the file instead (harden's own socket drop-in where
	// Ubuntu's generator now owns ssh.socket's ports).
	Delete bool
	// Meta is the new file's mode and owner; nil keeps the current ones.
	Meta *host.FileMeta
	withJobs
	// Validation is how apply checks the candidate (sshd config files).
	Validation validation
}

// Plan compares the desired settings with what sshd uses. Pure.
func (m *Module) Plan(state module.State) (module.Plan, error) {
	st, ok := state.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("sshd: plan: unexpected state %T", state)
	}
	if err := m.checkInstalled(st.OpenSSH); err != nil {
		return module.Plan{}, err
	}
	desired, admittedNote := m.desired(st)
	p := module.Plan{Notes: append(m.holdNote(), st.Notes...), Warnings: append([]string(nil), st.Warnings...),
		Risks: slices.Clone(st.Risks)}
	if st.Socket.Activated && st.Socket.Generator {
		p.Notes = append(p.Notes, "ssh.socket's ports come from sshd_config's Port lines "+
			"(sshd-socket-generator, on every daemon-reload)")
	}
	m.explainOpenSSH(&p, st.OpenSSH, desired)
	if admittedNote != "" {
		p.Notes = append(p.Notes, admittedNote)
	}
	check, checkNote := validationFor(st)
	mainBefore := st.Files[configPath]
	mainAfter := rewriteMain(mainBefore, desired)
	blockLines := lineOfKeywords(mainAfter)

	for _, s := range settings {
		key := strings.ToLower(s.keyword)
		want, managed := desired[key]
		if !managed {
			continue
		}
		cur := st.Effective[key]
		if sameValues(key, want, cur.Values) {
			continue
		}
		warnings := st.conflicts(key, want)
		if key == "hostkeyalgorithms" && offersECDSA(cur.Values) && !offersECDSA(want) {
			warnings = append(warnings, "the ECDSA host key is no longer offered: clients that only know it "+
				"are asked to accept the ED25519 or RSA key on their next login")
		}
		p.Changes = append(p.Changes, settingChange(s, cur, want, blockLines[key], warnings))
	}

	files := m.fileChanges(st, desired, mainBefore, mainAfter, check)
	if checkNote != "" && slices.ContainsFunc(files, isSSHDConfig) {
		p.Notes = append(p.Notes, checkNote)
	}
	p.Changes = append(p.Changes, files...)
	if len(p.Changes) > 0 && st.Guard != nil {
		warning, err := m.checkLockout(*st.Guard, desired)
		if err != nil {
			return module.Plan{}, err
		}
		if warning != "" {
			p.Warnings = append(p.Warnings, warning)
		}
	}
	return p, nil
}

// fileChanges are the changes to files and units: the banner, sshd_config
// and its drop-ins (checked together with check), the RSA host key, then
// ssh.socket, the files' modes and moduli. The first change that sshd must
// re-read gets its reload (a restart when ssh.socket hands sshd its
// sockets: on SIGHUP it would re-execute without them).
func (m *Module) fileChanges(st *State, desired map[string][]string, mainBefore, mainAfter string,
	check validation) []module.Change {
	var files []module.Change
	if banner := m.bannerChange(st.Beside, desired); banner != nil {
		files = append(files, *banner)
	}
	if mainAfter != mainBefore {
		files = append(files, fileChange(configPath, mainBefore, mainAfter, true))
	}
	for _, path := range st.Order {
		if path == configPath {
			continue
		}
		before := st.Files[path]
		if after := rewriteDropIn(before, desired); after != before {
			files = append(files, fileChange(path, before, after, true))
		}
	}
	for _, f := range files {
		if e := f.Data.(*fileEdit); e.SSHDConfig {
			e.Validation = check
		}
	}
	if key := m.rsaHostKeyChange(st, desired); key != nil {
		files = append(files, *key)
	}
	for i := range files {
		_, isKey := files[i].Data.(*hostKeyChange)
		if st.ServiceActive && (isSSHDConfig(files[i]) || isKey) {
			setJobs(&files[i], unitJobs{Reload: !st.Socket.Activated, Restart: st.Socket.Activated})
			break
		}
	}
	files = append(files, m.socketChanges(st)...)
	files = append(files, m.modeChanges(st.Beside)...)
	if mod := m.moduliChange(st.Beside); mod != nil {
		files = append(files, *mod)
	}
	return files
}

func isSSHDConfig(ch module.Change) bool {
	e, ok := ch.Data.(*fileEdit)
	return ok && e.SSHDConfig
}

func settingChange(s setting, cur effective, want []string, line int, warnings []string) module.Change {
	f := module.Field{Name: s.keyword, Before: strings.Join(cur.Values, " "), After: strings.Join(want, " ")}
	action := module.Update
	if len(cur.Values) == 0 {
		f.BeforeUnset, action = true, module.Create
	}
	if len(want) == 0 {
		f.AfterUnset, action = true, module.Delete
	}
	src := module.Field{Name: "source", Before: cur.Source, After: fmt.Sprintf("%s:%d", configPath, line)}
	if cur.Source == "" {
		src.Before = "sshd default"
	}
	if line == 0 {
		src.AfterUnset, src.After = true, ""
	}
	return module.Change{Module: "sshd", Address: "sshd.setting[" + s.keyword + "]", Action: action,
		Fields: []module.Field{f, src}, Warnings: warnings}
}

func fileChange(path, before, after string, sshdConfig bool) module.Change {
	action := module.Update
	if before == "" {
		action = module.Create
	}
	return module.Change{Module: "sshd", Address: "sshd.file[" + path + "]", Action: action,
		Before: before, After: after, Data: &fileEdit{Path: path, Content: after, SSHDConfig: sshdConfig}}
}

// setJobs adds unit jobs to a change, in its data and its effects.
func setJobs(ch *module.Change, j unitJobs) {
	s := ch.Data.(interface {
		step
		addJobs(unitJobs)
	})
	s.addJobs(j)
	ch.Effects = s.jobs().effects()
}

// conflicts explains the lines elsewhere that disagree with a desired
// value and how the apply deals with each.
func (st *State) conflicts(key string, want []string) []string {
	var out []string
	for _, o := range st.occ {
		if o.keyword != key {
			continue
		}
		line := fmt.Sprintf("%s:%d: %q", o.path, o.line, settingByKey[key].keyword+" "+o.value)
		switch {
		case o.match:
			out = append(out, line+" is inside a Match block and still applies to the connections it matches")
		case o.path == configPath:
			// The rewrite turns it off; the file diff shows it.
		case accumulates(key):
			out = append(out, line+" is turned off: sshd would add it to the block's values")
		case normalize(key, o.value) != normalize(key, want[0]):
			out = append(out, line+" loses to harden's block at the top of "+configPath+
				" (sshd keeps the first value it reads); the drop-in is left as it is")
		}
	}
	return out
}

func offersECDSA(vals []string) bool {
	return len(vals) == 1 && strings.Contains(vals[0], "ecdsa-sha2-nistp")
}

// lineOfKeywords maps each keyword to the line of its first global
// occurrence in a config text.
func lineOfKeywords(text string) map[string]int {
	out := map[string]int{}
	for i, raw := range splitLines(text) {
		l := parseLine(i+1, raw)
		if l.keyword == "match" {
			break
		}
		if _, seen := out[l.keyword]; l.keyword != "" && !seen {
			out[l.keyword] = l.num
		}
	}
	return out
}
