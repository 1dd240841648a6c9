package firewall

import (
	"bufio"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"harden/modules/host"
)

// nftconf.go: /etc/nftables.conf, which nftables.service loads at boot
// and on every `systemctl reload nftables`. harden adds an include of its
// own file, and removes a top-level `flush ruleset` (Debian's stock file
// begins with one): it would wipe every table on each load, Docker's,
// libvirt's and fail2ban's included, though harden owns only its own.

// confWithInclude returns nftables.conf with an include of the persisted
// file, and whether that changed anything. An include that already covers
// the file (also by a glob such as /etc/nftables.d/*.nft) is enough.
func confWithInclude(conf []byte, exists bool, persistPath string) (string, bool) {
	line := fmt.Sprintf("include %q", persistPath)
	if !exists {
		return "#!/usr/sbin/nft -f\n\n" + line + "\n", true
	}
	for _, l := range strings.Split(string(conf), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "include" {
			if ok, _ := filepath.Match(strings.Trim(f[1], `"`), persistPath); ok {
				return string(conf), false
			}
		}
	}
	s := string(conf)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s + "\n# harden's firewall table\n" + line + "\n", true
}

// confLayout is what a ruleset file holds at its top level.
type confLayout struct {
	tables   []string // "family name" of each table it defines
	includes []string // include patterns, as written
	flush    bool     // a `flush ruleset`
}

// scanConf reads the top level of a ruleset file: table definitions
// (`table [family] name`, with or without a block; also `add table`),
// includes and `flush ruleset`. What sits inside a block is skipped.
func scanConf(text string) confLayout {
	var c confLayout
	depth := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), ";"))
		if depth == 0 && len(f) > 0 {
			if f[0] == "add" || f[0] == "create" {
				f = f[1:]
			}
			switch {
			case len(f) == 2 && f[0] == "flush" && f[1] == "ruleset":
				c.flush = true
			case len(f) == 2 && f[0] == "include":
				c.includes = append(c.includes, strings.Trim(f[1], `"`))
			case len(f) >= 2 && f[0] == "table":
				if t := tableID(f[1:]); t != "" && !slices.Contains(c.tables, t) {
					c.tables = append(c.tables, t)
				}
			}
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
	}
	return c
}

// tableID names the table of "[family] name [{]"; the family defaults
// to ip, as in nft.
func tableID(f []string) string {
	f = slices.DeleteFunc(slices.Clone(f), func(s string) bool { return s == "{" })
	switch len(f) {
	case 1:
		return "ip " + strings.TrimSuffix(f[0], "{")
	case 2:
		if _, ok := families[f[0]]; ok {
			return f[0] + " " + strings.TrimSuffix(f[1], "{")
		}
	}
	return ""
}

// confTables are the tables nftables.conf defines, itself and through
// the files it includes (harden's own file aside: it replaces its table
// by itself), and the included files that flush the whole ruleset too.
func confTables(h *host.Host, conf []byte, own string) (tables, flushing []string, err error) {
	c := scanConf(string(conf))
	tables = c.tables
	seen := map[string]bool{own: true}
	queue := c.includes
	for len(queue) > 0 && len(seen) < 256 {
		pattern := queue[0]
		queue = queue[1:]
		if !path.IsAbs(pattern) {
			pattern = path.Join("/etc", pattern) // nft's default include directory
		}
		files, err := h.Glob(pattern)
		if err != nil {
			return nil, nil, fmt.Errorf("include %s: %w", pattern, err)
		}
		for _, f := range files {
			if seen[f] {
				continue
			}
			seen[f] = true
			data, err := h.ReadFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("include %s: %w", f, err)
			}
			inc := scanConf(string(data))
			for _, t := range inc.tables {
				if !slices.Contains(tables, t) {
					tables = append(tables, t)
				}
			}
			if inc.flush {
				flushing = append(flushing, f)
			}
			queue = append(queue, inc.includes...)
		}
	}
	return tables, flushing, nil
}

// withoutFlushRuleset replaces a top-level `flush ruleset` with the
// removal of the given tables alone (`table X` first, so that a table
// not loaded yet is no error), and reports whether it did.
func withoutFlushRuleset(conf string, tables []string) (string, bool) {
	lines := strings.Split(conf, "\n")
	depth := 0
	for i, l := range lines {
		code, _, _ := strings.Cut(l, "#")
		if depth == 0 && strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimSpace(code), ";")), " ") == "flush ruleset" {
			block := []string{
				"# harden: `flush ruleset` removed: it wiped every table on each load of this file",
				"# (boot, systemctl reload nftables), those of Docker and other daemons included.",
				"# Loading it now replaces only the tables it defines:",
			}
			for _, t := range tables {
				block = append(block, "table "+t, "delete table "+t)
			}
			out := append(slices.Clone(lines[:i]), block...)
			return strings.Join(append(out, lines[i+1:]...), "\n"), true
		}
		depth += strings.Count(code, "{") - strings.Count(code, "}")
	}
	return conf, false
}

// flushNote explains the change to nftables.conf.
func flushNote(confPath string, tables []string) string {
	defined := "none"
	if len(tables) > 0 {
		defined = strings.Join(tables, ", ")
	}
	return fmt.Sprintf("%s begins with `flush ruleset`, which removes every table whenever the file is loaded "+
		"(boot, systemctl reload nftables), Docker's included: harden replaces it with the removal of only the "+
		"tables the file defines (%s); the old file is kept in the run's backup. systemctl stop or restart "+
		"nftables still flushes the whole ruleset (the unit's ExecStop)", confPath, defined)
}
