package sshd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"harden/modules/host"
	"harden/modules/module"
)

// State is what Read found: the config files as sshd reads them, the
// effective value of each managed keyword with the line it comes from, and
// how ssh is started.
type State struct {
	// Files holds the text of sshd_config and every file it includes.
	Files map[string]string `json:"files"`
	// Order is the order sshd reads those files in (sshd_config first).
	Order []string `json:"order"`
	// Effective maps a managed keyword (lower case) to what sshd uses.
	Effective map[string]effective `json:"effective"`
	// Live: Effective came from `sshd -T`, not from the files alone.
	Live bool `json:"live"`
	// Offline: a system under -root; nothing runs there to reload.
	Offline bool `json:"offline"`
	// OpenSSH is the installed release the algorithm lists are chosen for.
	OpenSSH installed `json:"openssh"`
	// Validator is the OpenSSH of the machine harden runs on, whose sshd
	// validates an offline root's config (set only under -root).
	Validator installed   `json:"validator,omitempty"`
	Socket    socketState `json:"socket"`
	// ServiceActive: ssh.service is running and needs a reload to pick up
	// a change (false under -root, where nothing runs).
	ServiceActive bool     `json:"service_active"`
	Notes         []string `json:"notes,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`
	// Risks are Match blocks giving some connections weaker settings.
	Risks []module.Risk `json:"risks,omitempty"`
	// Guard holds the lockout guard's facts (read only when the profile
	// turns password or root login off).
	Guard *guardFacts `json:"guard,omitempty"`
	// Beside are the files sshd reads beside its config: host keys, the
	// banner, moduli, and the config files' modes.
	Beside sshFiles `json:"beside"`
	// Dump is all of `sshd -T` (nil when it did not run): the audit judges
	// keywords harden does not manage from it.
	Dump map[string][]string `json:"-"`
	// Hostname names the machine in a new host key's comment.
	Hostname string `json:"hostname,omitempty"`

	occ []occurrence
}

// Read reads sshd's configuration. On the live machine the effective
// values come from `sshd -T`; under -root (or when `sshd -T` cannot run)
// they are computed from the files with sshd's own rules.
func (m *Module) Read(ctx context.Context, h *host.Host) (module.State, error) {
	if st := m.readAhead; st != nil {
		m.readAhead = nil
		return st, nil
	}
	tree, err := readTree(h, configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sshd: %s not found under %s (is openssh-server installed?): %w", configPath, h.Root(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("sshd: read config: %w", err)
	}
	openssh := m.detectOpenSSH(ctx, h)
	st := &State{Files: tree.files, Order: tree.order, Effective: tree.effectiveValues(openssh.rel), occ: tree.occ,
		OpenSSH: openssh}
	if st.Socket, err = readSocket(ctx, h); err != nil {
		return nil, fmt.Errorf("sshd: read ssh.socket: %w", err)
	}
	if err := m.readEffective(ctx, h, st); err != nil {
		return nil, err
	}
	hostKeys := hostKeyPaths(st.Effective["hostkey"].Values, m.want["hostkey"])
	if st.Beside, err = readFiles(h, st.Order, hostKeys,
		[]string{first(m.want["banner"]), first(st.Effective["banner"].Values)}, m.moduliMinBits); err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	if data, err := h.ReadFile("/etc/hostname"); err == nil {
		st.Hostname = strings.TrimSpace(string(data))
	}
	return st, nil
}

// readEffective finds what sshd uses: `sshd -T` on the live machine, the
// files alone under -root (or when sshd -T fails).
func (m *Module) readEffective(ctx context.Context, h *host.Host, st *State) error {
	if h.Offline() {
		if m.validator == nil {
			if err := m.checkValidators(); err != nil {
				return err
			}
		}
		st.Offline = true
		st.Validator = m.validatorOpenSSH(ctx, h)
		st.Notes = append(st.Notes, fmt.Sprintf("offline root %s: effective sshd settings computed from the files "+
			"(sshd -T not run); nothing will be reloaded", h.Root()))
		st.readGuard(m, h, nil)
		return nil
	}
	st.ServiceActive = true
	if v, err := h.Systemd().Property(ctx, serviceUnit, "ActiveState"); err == nil {
		st.ServiceActive = v == "active" || v == "reloading"
	}
	out, err := m.runSSHD(ctx, h, "-T")
	if err != nil {
		st.Warnings = append(st.Warnings, fmt.Sprintf("sshd -T failed, planning from the files alone: %v", err))
		st.readGuard(m, h, nil)
		return nil
	}
	st.Live = true
	st.Dump = parseDump(string(out))
	st.mergeDump(st.Dump)
	st.readGuard(m, h, st.Dump)
	m.readMatchRisks(ctx, h, st)
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (st *State) readGuard(m *Module, h *host.Host, dump map[string][]string) {
	if m.guardNeeded() {
		g := readGuard(h, dump)
		st.Guard = &g
	}
}

// mergeDump replaces the file-computed values with what `sshd -T` says,
// keeping the source line when the files agree with it.
func (st *State) mergeDump(dump map[string][]string) {
	for key, fromFiles := range st.Effective {
		live, ok := dump[key]
		if !ok {
			if !accumulates(key) {
				continue
			}
			live = nil // sshd -T prints nothing for an empty AllowUsers
		}
		if key == "allowusers" || key == "allowgroups" {
			var split []string
			for _, v := range live {
				split = append(split, strings.Fields(v)...)
			}
			live = split
		}
		if !accumulates(key) && len(live) > 1 {
			live = live[:1]
		}
		e := effective{Values: live}
		if sameValues(key, live, fromFiles.Values) {
			e.Source = fromFiles.Source
		} else {
			e.Source = "sshd -T"
		}
		st.Effective[key] = e
	}
}
