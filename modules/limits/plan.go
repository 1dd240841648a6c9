package limits

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/coreos/go-systemd/v22/unit"

	"harden/modules/internal/unitdropin"
	"harden/modules/module"
)

// Payloads carried from Plan to Apply.
type (
	fileChange struct {
		Path string
		Data []byte
	}
	// unitChange: the unit files are right but systemd or the process
	// has not caught up.
	unitChange struct{}
)

// DropIn renders the unit drop-in.
func (c Config) DropIn() []byte {
	return unitdropin.Render("limits", []*unit.UnitOption{
		unit.NewUnitOption("Service", "LimitNOFILE", strconv.Itoa(c.Nofile)),
	})
}

// Plan compares the two files and the live limits with the profile.
func (m *Module) Plan(s module.State) (module.Plan, error) {
	st, ok := s.(*State)
	if !ok {
		return module.Plan{}, fmt.Errorf("limits: unexpected state %T", s)
	}
	c := m.cfg
	var p module.Plan
	want := uint64(c.Nofile)
	if c.User != "" {
		if ch, changed := fileDiff(c.LimitsPath(), st.LimitsFile, c.LimitsFile()); changed {
			p.Changes = append(p.Changes, ch)
		}
	}
	if c.Container != "" {
		m.planContainer(st, &p)
		return p, nil
	}
	if c.Unit == "" {
		return p, nil
	}
	l := st.Live
	running := l != nil && l.LoadState == "loaded" && l.MainPID > 0
	restart := c.Restart && running
	restartEffect := "restart " + c.Unit

	dropIn, dropInChanged := fileDiff(unitdropin.Path(c.Unit, DropInName), st.DropIn, c.DropIn())
	if dropInChanged {
		dropIn.Fields = []module.Field{limitField(st.DropIn, c.Nofile)}
		dropIn.Effects = []string{"daemon-reload"}
		if restart {
			dropIn.Effects = append(dropIn.Effects, restartEffect)
		}
		p.Changes = append(p.Changes, dropIn)
	}
	for _, o := range st.Overrides {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s comes after %s and wins: %s runs with its limit, not %d",
			o, unitdropin.Path(c.Unit, DropInName), c.Unit, c.Nofile))
	}

	switch {
	case st.Offline:
		p.Notes = append(p.Notes, "offline root: planned from files only; systemd's LimitNOFILE and the running node's limit are not checked")
		return p, nil
	case l == nil:
		p.Warnings = append(p.Warnings, fmt.Sprintf("could not read %s from systemd (%s): the live limit is not checked", c.Unit, st.LiveErr))
		return p, nil
	case l.LoadState != "loaded":
		p.Notes = append(p.Notes, fmt.Sprintf("%s is not installed (%s): the drop-in applies once it is", c.Unit, l.LoadState))
		return p, nil
	}

	// The most this environment lets the process have.
	target := want
	if l.Cap > 0 && l.Cap < want {
		target = l.Cap
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"the environment caps open files at %d (the service manager's own hard limit): %s asks for %d and runs with at most %d",
			l.Cap, c.Unit, want, l.Cap))
	}
	// systemd has an old value although our drop-in is in place: a
	// daemon-reload is pending (unless a later drop-in overrides ours).
	pending := !dropInChanged && len(st.Overrides) == 0 && l.Configured != want
	processLow := running && l.ProcSoft < target
	if pending || (processLow && restart && !dropInChanged) {
		ch := module.Change{Module: "limits", Address: "limits.unit[" + c.Unit + "]", Action: module.Update, Data: unitChange{}}
		if pending {
			ch.Fields = append(ch.Fields, module.Field{Name: "LimitNOFILE", Before: limitString(l.Configured), After: strconv.Itoa(c.Nofile)})
			ch.Effects = append(ch.Effects, "daemon-reload")
		}
		if processLow && restart {
			ch.Fields = append(ch.Fields, module.Field{Name: fmt.Sprintf("open files (pid %d)", l.MainPID),
				Before: limitString(l.ProcSoft), After: strconv.FormatUint(target, 10)})
		}
		if restart {
			ch.Effects = append(ch.Effects, restartEffect)
		}
		p.Changes = append(p.Changes, ch)
	}
	if running && !restart && processLow {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"%s (pid %d) runs with %s open files; it gets %d at its next restart (restart = false)",
			c.Unit, l.MainPID, limitString(l.ProcSoft), target))
	}
	if !running {
		p.Notes = append(p.Notes, fmt.Sprintf("%s is not running: its process limit is checked once it runs", c.Unit))
	}
	return p, nil
}

// fileDiff plans a whole-file change when the bytes differ.
func fileDiff(path string, have, want []byte) (module.Change, bool) {
	if bytes.Equal(have, want) {
		return module.Change{}, false
	}
	ch := module.Change{Module: "limits", Address: "limits.file[" + path + "]", Action: module.Update,
		Before: string(have), After: string(want), Data: fileChange{Path: path, Data: want}}
	if have == nil {
		ch.Action = module.Create
	}
	return ch, true
}

// limitField shows LimitNOFILE as the old drop-in had it.
func limitField(old []byte, want int) module.Field {
	f := module.Field{Name: "LimitNOFILE", After: strconv.Itoa(want), BeforeUnset: true}
	if opts, err := unitdropin.Parse(old); err == nil && old != nil {
		if v, ok := unitdropin.Value(opts, "Service", "LimitNOFILE"); ok {
			f.Before, f.BeforeUnset = v, false
		}
	}
	return f
}

func limitString(n uint64) string {
	if n == ^uint64(0) {
		return "infinity"
	}
	return strconv.FormatUint(n, 10)
}
