package sshd

import (
	"sort"
	"strings"
)

// The managed block sits at the very top of sshd_config, before its
// Include line: sshd keeps the first value it reads for most keywords, so
// the block beats every drop-in (a cloud image's 50-cloud-init.conf) and
// every later line. The rest of the file stays the operator's.
const (
	blockBegin = "# BEGIN harden (managed; edits inside are overwritten)"
	blockEnd   = "# END harden"
	// disabledMark prefixes an operator's line harden turned off because it
	// contradicts the block (or, for Port and AllowUsers, would add to it).
	// The line comes back when the profile stops managing its keyword.
	disabledMark = "#harden-disabled# "
)

// renderBlock writes the desired settings as sshd_config lines.
func renderBlock(want map[string][]string) []string {
	var out []string
	for _, s := range settings {
		vals, ok := want[strings.ToLower(s.keyword)]
		if !ok {
			continue
		}
		switch s.kind {
		case kindPorts, kindFiles:
			for _, v := range vals {
				out = append(out, s.keyword+" "+v)
			}
		case kindNames, kindAlgos:
			// An algorithm list is nil until desired fills in the
			// installed release's set: nothing to write yet.
			if len(vals) > 0 {
				out = append(out, s.keyword+" "+strings.Join(vals, " "))
			}
		default:
			out = append(out, s.keyword+" "+vals[0])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return append(append([]string{blockBegin}, out...), blockEnd)
}

// rewriteMain returns sshd_config with the managed block at the top and
// the operator's conflicting global lines turned off. Idempotent:
// rewriteMain(rewriteMain(x)) == rewriteMain(x).
func rewriteMain(text string, want map[string][]string) string {
	lines := removeBlock(splitLines(text))
	body := disableConflicts(lines, want, false)
	block := renderBlock(want)
	if len(block) == 0 && strings.Join(body, "\n") == strings.TrimSuffix(text, "\n") {
		return text // nothing managed, nothing to give back: keep the file as it is, to the byte
	}
	out := append(block, body...)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// rewriteDropIn turns off a drop-in's lines that would add to accumulating
// keywords (Port, AllowUsers, AllowGroups); other conflicts in drop-ins
// lose to the block anyway and are left alone (the plan warns about them).
func rewriteDropIn(text string, want map[string][]string) string {
	if text == "" {
		return text
	}
	body := disableConflicts(splitLines(text), want, true)
	out := strings.Join(body, "\n")
	if strings.HasSuffix(text, "\n") {
		out += "\n"
	}
	return out
}

// removeBlock drops every complete managed block.
func removeBlock(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == blockBegin {
			end := -1
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) == blockEnd {
					end = j
					break
				}
			}
			if end >= 0 {
				i = end
				continue
			}
		}
		out = append(out, lines[i])
	}
	return out
}

// disableConflicts comments out global lines of managed keywords that
// contradict the desired value, and restores lines harden disabled before
// whose keyword is no longer managed. Lines inside Match blocks are the
// operator's per-connection choices and are never touched.
func disableConflicts(lines []string, want map[string][]string, onlyAccumulating bool) []string {
	out := make([]string, 0, len(lines))
	inMatch := false
	for i, raw := range lines {
		if rest, ok := strings.CutPrefix(raw, disabledMark); ok {
			if _, managed := want[parseLine(i+1, rest).keyword]; !managed {
				raw = rest // give the line back
			} else {
				out = append(out, raw)
				continue
			}
		}
		l := parseLine(i+1, raw)
		if l.keyword == "match" {
			inMatch = true
		}
		vals, managed := want[l.keyword]
		if l.keyword == "" || inMatch || !managed {
			out = append(out, raw)
			continue
		}
		if conflicts(l, vals, onlyAccumulating) {
			raw = disabledMark + raw
		}
		out = append(out, raw)
	}
	return out
}

func conflicts(l cfgLine, want []string, onlyAccumulating bool) bool {
	if accumulates(l.keyword) {
		return true
	}
	if onlyAccumulating || len(want) == 0 {
		return false
	}
	return normalize(l.keyword, l.value) != normalize(l.keyword, want[0])
}

// sameValues compares a desired value list with an effective one in
// `sshd -T` form; order does not matter where values accumulate.
func sameValues(key string, want, have []string) bool {
	w := make([]string, len(want))
	for i, v := range want {
		w[i] = normalize(key, v)
	}
	h := make([]string, len(have))
	for i, v := range have {
		h[i] = normalize(key, v)
	}
	if accumulates(key) {
		sort.Strings(w)
		sort.Strings(h)
		w, h = dedupe(w), dedupe(h)
	}
	return strings.Join(w, "\n") == strings.Join(h, "\n")
}

func dedupe(sorted []string) []string {
	var out []string
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			out = append(out, v)
		}
	}
	return out
}
