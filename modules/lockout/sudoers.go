package lockout

import (
	"bufio"
	"bytes"
	"path"
	"slices"
	"strings"

	"harden/modules/host"
)

// sudoRule is one "who host=(runas) [NOPASSWD:] cmds" line that lets its
// users run commands as root.
type sudoRule struct {
	who      []string // user names, "%group", or ALL
	nopasswd bool
}

type sudoRules []sudoRule

// allows reports whether a rule lets the user become root, and whether the
// best such rule needs the user's password.
func (rs sudoRules) allows(u User) (can, needsPassword bool) {
	for _, r := range rs {
		if !slices.ContainsFunc(r.who, func(who string) bool { return grants(who, u) }) {
			continue
		}
		if r.nopasswd {
			return true, false
		}
		can, needsPassword = true, true
	}
	return can, needsPassword
}

func grants(who string, u User) bool {
	if group, ok := strings.CutPrefix(who, "%"); ok {
		return slices.Contains(u.Groups, group)
	}
	return who == u.Name || who == "ALL"
}

// readSudoers reads /etc/sudoers and the files of /etc/sudoers.d (what
// Debian's @includedir reads: no dots, no trailing ~). Aliases and
// Defaults are ignored: the guard errs on the side of refusing. exists is
// false without /etc/sudoers: sudo is not installed.
func readSudoers(h *host.Host) (rules sudoRules, exists bool) {
	files := []string{"/etc/sudoers"}
	if more, err := h.Glob("/etc/sudoers.d/*"); err == nil {
		for _, f := range more {
			base := path.Base(f)
			if !strings.Contains(base, ".") && !strings.HasSuffix(base, "~") {
				files = append(files, f)
			}
		}
	}
	for i, f := range files {
		data, err := h.ReadFile(f)
		if err != nil {
			continue
		}
		exists = exists || i == 0
		rules = append(rules, parseSudoers(data)...)
	}
	return rules, exists
}

func parseSudoers(data []byte) sudoRules {
	var rules sudoRules
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "@") ||
			strings.HasPrefix(line, "Defaults") || strings.Contains(line, "_Alias") {
			continue
		}
		if r, ok := parseSudoRule(line); ok {
			rules = append(rules, r)
		}
	}
	return rules
}

// parseSudoRule reads "who hosts = (runas) [tags:] commands"; fields may
// be separated by tabs, as in Debian's own /etc/sudoers. ok is false for
// a rule that does not run commands as root.
func parseSudoRule(line string) (sudoRule, bool) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return sudoRule{}, false
	}
	_, spec, ok := strings.Cut(strings.Join(fields[1:], " "), "=")
	if !ok {
		return sudoRule{}, false
	}
	spec = strings.TrimSpace(spec)
	if runAs, rest, ok := strings.Cut(strings.TrimPrefix(spec, "("), ")"); ok && strings.HasPrefix(spec, "(") {
		users, _, _ := strings.Cut(runAs, ":")
		if !slices.ContainsFunc(strings.Split(users, ","), func(u string) bool {
			u = strings.TrimSpace(u)
			return u == "ALL" || u == "root"
		}) {
			return sudoRule{}, false
		}
		spec = rest
	}
	return sudoRule{who: strings.Split(fields[0], ","), nopasswd: strings.Contains(spec, "NOPASSWD:")}, true
}
