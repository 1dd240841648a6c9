package sshd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"harden/modules/host"
	"harden/modules/module"
)

// Beside sshd_config, harden converges the files sshd reads:
//   - sshd_config and its drop-ins: root:root, 0600 or stricter (CIS 5.1.1,
//     dev-sec sshd-05); private host keys 0600, public ones 0644 (CIS 5.1.2,
//     5.1.3);
//   - the banner sshd shows before login (CIS 5.1.5), without the system's
//     name or version in it;
//   - /etc/ssh/moduli, the Diffie-Hellman group-exchange moduli: those
//     under 3072 bits go (ssh-audit's guides; dev-sec sshd-48 wants 2048);
//   - the RSA host key, at least 4096 bits (hostkeys.go).

const (
	moduliPath           = "/etc/ssh/moduli"
	defaultModuliMinBits = 3072
	defaultBanner        = "/etc/ssh/sshd_banner"
	// defaultBannerText warns without naming the system (CIS 5.1.5 and
	// 1.7: no OS name or version before login).
	defaultBannerText = "Authorized access only. Connections to this system are logged.\n"
)

// sshFiles is what Read found of the files beside sshd_config.
type sshFiles struct {
	// Meta holds the mode and owner of the config files and of every host
	// key file (private and public) in /etc/ssh, by path.
	Meta     map[string]host.FileMeta `json:"meta"`
	HostKeys []hostKey                `json:"host_keys,omitempty"`
	// Banners are the texts of the banner files (the one sshd shows, the
	// one the profile wants), by path; a missing file is absent.
	Banners map[string]string `json:"banners,omitempty"`
	Moduli  moduli            `json:"moduli"`
	// SSHDOpts are the options ssh.service passes sshd (/etc/default/ssh):
	// -o options there override every config file.
	SSHDOpts string `json:"sshd_opts,omitempty"`
	// EtcSSH is /etc/ssh's own mode and owner.
	EtcSSH *host.FileMeta `json:"etc_ssh,omitempty"`
}

// moduli is /etc/ssh/moduli as counted by modulus size.
type moduli struct {
	Exists bool `json:"exists"`
	// Total and Weak count moduli, and those under the profile's bits.
	Total, Weak int
	// Smallest is the smallest modulus in bits (0 when there is none).
	Smallest int    `json:"smallest,omitempty"`
	kept     []byte // the file without the weak moduli
}

// readModuli is /etc/ssh/moduli judged against minBits (3072 when 0, for
// the audit's sake).
func readModuli(h *host.Host, minBits int) (moduli, error) {
	data, err := h.ReadFile(moduliPath)
	switch {
	case err == nil:
		if minBits == 0 {
			minBits = defaultModuliMinBits
		}
		return parseModuli(data, minBits), nil
	case errors.Is(err, fs.ErrNotExist):
		return moduli{}, nil
	}
	return moduli{}, err
}

// readFiles reads the modes of the config files and host keys, the host
// keys themselves, the banner, moduli and ssh.service's options.
func readFiles(h *host.Host, order, hostKeyPaths, banners []string, moduliMinBits int) (sshFiles, error) {
	f := sshFiles{Meta: map[string]host.FileMeta{}, Banners: map[string]string{}}
	keyFiles, err := h.Glob("/etc/ssh/ssh_host_*_key*")
	if err != nil {
		return f, err
	}
	for _, p := range append(slices.Clone(order), keyFiles...) {
		if meta, err := h.Meta(p); err == nil {
			f.Meta[p] = meta
		}
	}
	if meta, err := h.Meta("/etc/ssh"); err == nil {
		f.EtcSSH = &meta
	}
	for _, p := range hostKeyPaths {
		f.HostKeys = append(f.HostKeys, readHostKey(h, p))
	}
	for _, p := range banners {
		if data, err := h.ReadFile(p); err == nil && strings.HasPrefix(p, "/") {
			f.Banners[p] = string(data)
		}
	}
	if f.Moduli, err = readModuli(h, moduliMinBits); err != nil {
		return f, err
	}
	if data, err := h.ReadFile("/etc/default/ssh"); err == nil {
		f.SSHDOpts = shellVar(string(data), "SSHD_OPTS")
	}
	return f, nil
}

// parseModuli counts the moduli and keeps those of minBits or more
// (comments and blank lines stay). moduli(5)'s size field is the bit
// length minus one: ssh-audit keeps `$5 >= 3071` for 3072 bits. The file
// without the weak moduli is made only when there are some.
func parseModuli(data []byte, minBits int) moduli {
	m := moduli{Exists: true}
	var weak [][2]int // byte ranges of the weak moduli's lines
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n') + start + 1
		if end == start {
			end = len(data)
		}
		if size, ok := modulusSize(data[start:end]); ok {
			m.Total++
			if m.Smallest == 0 || size+1 < m.Smallest {
				m.Smallest = size + 1
			}
			if size+1 < minBits {
				weak = append(weak, [2]int{start, end})
			}
		}
		start = end
	}
	m.Weak = len(weak)
	if m.Weak > 0 {
		kept := make([]byte, 0, len(data))
		from := 0
		for _, w := range weak {
			kept = append(kept, data[from:w[0]]...)
			from = w[1]
		}
		m.kept = append(kept, data[from:]...)
	}
	return m
}

// modulusSize reads the size field (the fifth) of a moduli line; false for
// comments, blank and malformed lines.
func modulusSize(line []byte) (int, bool) {
	f := bytes.Fields(line)
	if len(f) < 7 || f[0][0] == '#' {
		return 0, false
	}
	size, err := strconv.Atoi(string(f[4]))
	return size, err == nil
}

// shellVar reads NAME="value" from a shell-style defaults file.
func shellVar(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// rootUID and rootGID own sshd's files. Tests that run unprivileged make
// their own uid stand in for root.
var rootUID, rootGID = 0, 0

// configMode is what CIS 5.1.1 allows sshd_config and its drop-ins.
var configMode = fileRule{perm: 0o600, what: "sshd config"}

// fileRule is the most a file's permission bits may allow, owned by root.
type fileRule struct {
	perm fs.FileMode
	what string
}

func (r fileRule) ok(meta host.FileMeta) bool {
	return meta.Mode.Perm()&^r.perm == 0 && meta.UID == rootUID && meta.GID == rootGID
}

// ruleFor is the rule for a file in /etc/ssh: host keys by their name.
func ruleFor(p string) fileRule {
	switch {
	case strings.HasPrefix(path.Base(p), "ssh_host_") && strings.HasSuffix(p, "_key.pub"):
		return fileRule{perm: 0o644, what: "public host key"}
	case strings.HasPrefix(path.Base(p), "ssh_host_") && strings.HasSuffix(p, "_key"):
		return fileRule{perm: 0o600, what: "private host key"}
	}
	return configMode
}

// modeChanges gives every config file and host key file root:root and no
// more permission than its rule allows (stricter modes stay).
func (m *Module) modeChanges(files sshFiles) []module.Change {
	if !m.fileModes {
		return nil
	}
	var out []module.Change
	for _, p := range slices.Sorted(maps.Keys(files.Meta)) {
		meta, rule := files.Meta[p], ruleFor(p)
		if rule.ok(meta) {
			continue
		}
		want := host.FileMeta{Mode: meta.Mode.Perm() & rule.perm, UID: rootUID, GID: rootGID}
		if meta.Mode.Perm()&^rule.perm != 0 && want.Mode != rule.perm {
			want.Mode = rule.perm
		}
		fields := []module.Field{{Name: "mode", Before: fmt.Sprintf("%04o", meta.Mode.Perm()), After: fmt.Sprintf("%04o", want.Mode)}}
		if meta.UID != want.UID || meta.GID != want.GID {
			fields = append(fields, module.Field{Name: "owner", Before: fmt.Sprintf("%d:%d", meta.UID, meta.GID),
				After: fmt.Sprintf("%d:%d", want.UID, want.GID)})
		}
		out = append(out, module.Change{Module: "sshd", Address: "sshd.file_mode[" + p + "]", Action: module.Update,
			Fields: fields, Data: &modeChange{Path: p, Meta: want}})
	}
	return out
}

// modeChange sets a file's mode and owner (journaled: undo restores them).
type modeChange struct {
	Path string
	Meta host.FileMeta
	withJobs
}

func (c *modeChange) run(_ context.Context, h *host.Host) error { return h.Chown(c.Path, c.Meta) }

// bannerChange writes the banner file the desired Banner names.
func (m *Module) bannerChange(files sshFiles, desired map[string][]string) *module.Change {
	v := desired["banner"]
	if len(v) != 1 || v[0] == "none" {
		return nil
	}
	before, exists := files.Banners[v[0]]
	if exists && before == m.bannerText {
		return nil
	}
	ch := fileChange(v[0], before, m.bannerText, false)
	ch.Data.(*fileEdit).Meta = &host.FileMeta{Mode: 0o644}
	return &ch
}

// moduliChange drops the group-exchange moduli under 3072 bits. The file
// is hundreds of kilobytes: the plan shows counts, not a diff.
func (m *Module) moduliChange(files sshFiles) *module.Change {
	mo := files.Moduli
	if m.moduliMinBits == 0 || !mo.Exists || mo.Weak == 0 {
		return nil
	}
	ch := module.Change{Module: "sshd", Address: "sshd.file[" + moduliPath + "]", Action: module.Update,
		Fields: []module.Field{
			{Name: "moduli", Before: strconv.Itoa(mo.Total), After: strconv.Itoa(mo.Total - mo.Weak)},
			{Name: "smallest", Before: fmt.Sprintf("%d bits", mo.Smallest), After: fmt.Sprintf("%d bits or more", m.moduliMinBits)},
		},
		Data: &fileEdit{Path: moduliPath, Content: string(mo.kept)}}
	if mo.Weak == mo.Total {
		ch.Warnings = []string{fmt.Sprintf("no modulus of %d bits or more is left: sshd falls back to its built-in "+
			"groups for diffie-hellman-group-exchange (make new ones with ssh-keygen -M generate and -M screen)",
			m.moduliMinBits)}
	}
	return &ch
}
