package sshd

import (
	"fmt"
	"path"
	"strings"
)

// cfgLine is one line of an sshd config file.
type cfgLine struct {
	num     int    // 1-based line number
	text    string // the line as written, without its newline
	keyword string // lower case; "" for blank lines and comments
	value   string // the arguments as written, trimmed
}

// splitLines splits text into lines; a final newline does not make an
// extra empty line.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// parseLine splits one sshd_config line into keyword and value. sshd takes
// "Keyword value", "Keyword=value" and "Keyword = value"; '#' starts a
// comment at the start of a line or of a word.
func parseLine(num int, text string) cfgLine {
	l := cfgLine{num: num, text: text}
	s := strings.TrimSpace(text)
	if s == "" || s[0] == '#' {
		return l
	}
	end := strings.IndexAny(s, " \t=")
	if end < 0 {
		l.keyword = strings.ToLower(s)
		return l
	}
	l.keyword = strings.ToLower(s[:end])
	rest := strings.TrimLeft(s[end:], " \t")
	rest = strings.TrimPrefix(rest, "=")
	rest = strings.TrimSpace(rest)
	if i := strings.Index(rest, " #"); i >= 0 {
		rest = strings.TrimSpace(rest[:i])
	} else if i := strings.Index(rest, "\t#"); i >= 0 {
		rest = strings.TrimSpace(rest[:i])
	}
	l.value = rest
	return l
}

// args splits a value into words, honouring double quotes.
func args(v string) []string {
	var out []string
	var cur strings.Builder
	quoted, have := false, false
	for _, c := range v {
		switch {
		case c == '"':
			quoted, have = !quoted, true
		case (c == ' ' || c == '\t') && !quoted:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// occurrence is a keyword line as sshd meets it while reading the config.
type occurrence struct {
	path    string
	line    int
	keyword string
	value   string
	// match marks a line inside a Match block: conditional, not global.
	match bool
}

func (o occurrence) where() string { return fmt.Sprintf("%s:%d", o.path, o.line) }

// configTree is the main config and everything it includes, in the order
// sshd reads it.
type configTree struct {
	files map[string]string // system path → text
	order []string          // files in reading order (main first)
	occ   []occurrence      // keyword lines in reading order (Include lines excluded)
}

// fileSource reads config files and expands Include patterns (system paths).
type fileSource interface {
	ReadFile(p string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// includePattern resolves an Include argument: relative paths are under
// /etc/ssh, as sshd_config(5) says.
func includePattern(arg string) string {
	if path.IsAbs(arg) {
		return arg
	}
	return path.Join("/etc/ssh", arg)
}

// readTree reads the config at p and every file it includes, depth-first
// like sshd (the Include line is replaced by the files it matches, in
// lexical order).
func readTree(src fileSource, p string) (*configTree, error) {
	t := &configTree{files: map[string]string{}}
	return t, t.read(src, p, 0)
}

func (t *configTree) read(src fileSource, p string, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%s: Include nested too deep", p)
	}
	data, err := src.ReadFile(p)
	if err != nil {
		return err
	}
	text := string(data)
	if _, seen := t.files[p]; !seen {
		t.order = append(t.order, p)
	}
	t.files[p] = text
	inMatch := false
	for i, raw := range splitLines(text) {
		l := parseLine(i+1, raw)
		switch l.keyword {
		case "":
			continue
		case "match":
			inMatch = true
			continue
		case "include":
			if inMatch {
				continue
			}
			for _, a := range args(l.value) {
				matches, err := src.Glob(includePattern(a))
				if err != nil {
					return fmt.Errorf("%s:%d: Include %s: %w", p, l.num, a, err)
				}
				for _, inc := range matches {
					if err := t.read(src, inc, depth+1); err != nil {
						return err
					}
				}
			}
			continue
		}
		t.occ = append(t.occ, occurrence{path: p, line: l.num, keyword: l.keyword, value: l.value, match: inMatch})
	}
	return nil
}

// effective is the value sshd uses for one keyword, in `sshd -T` form.
type effective struct {
	Values []string `json:"values"`
	// Source is file:line of the line that decided the value; "" when it
	// is sshd's built-in default.
	Source string `json:"source,omitempty"`
}

// effectiveValues computes what sshd would use for each managed keyword
// from the files alone: the first global line wins, except for keywords
// whose values accumulate; no line at all means sshd's built-in default.
// The algorithm lists' defaults, and what their +, - and ^ operators
// change, are those of the installed release.
func (t *configTree) effectiveValues(rel *release) map[string]effective {
	out := map[string]effective{}
	for _, s := range settings {
		key := strings.ToLower(s.keyword)
		e := effective{}
		for _, o := range t.occ {
			if o.keyword != key || o.match {
				continue
			}
			if e.Source == "" {
				e.Source = o.where()
			}
			if s.kind == kindAlgos {
				e.Values = []string{resolveAlgos(o.value, rel.builtin(key))}
				break
			}
			if !accumulates(key) {
				e.Values = []string{normalize(key, o.value)}
				break
			}
			for _, a := range args(o.value) {
				e.Values = append(e.Values, normalize(key, a))
			}
		}
		switch {
		case e.Source != "":
		case s.kind == kindAlgos:
			e.Values = []string{rel.builtin(key)}
		default:
			e.Values = append([]string(nil), s.builtin...)
		}
		out[key] = e
	}
	return out
}

// parseDump reads `sshd -T` output: one "keyword value" per line, repeated
// for keywords with several values. Keywords come back lower case, as
// sshd printed them up to OpenSSH 10.3 (10.4 prints "KexAlgorithms").
func parseDump(out string) map[string][]string {
	vals := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		if k == "" {
			continue
		}
		k = strings.ToLower(k)
		vals[k] = append(vals[k], strings.TrimSpace(v))
	}
	return vals
}
