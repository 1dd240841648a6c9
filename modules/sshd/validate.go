package sshd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"harden/modules/host"
)

// Validation: every candidate config is checked with `sshd -t` before it
// replaces a live file. Under -root the sshd of the machine harden runs on
// checks the image's config, as the image's own binaries are never run (a
// hostile image could make them do anything). That sshd may be another
// release than the image's: it refuses names it does not know
// (mlkem768x25519-sha256 to OpenSSH 9.2), though the image's sshd knows
// them. The plan has already checked every name against the image's
// release table, so the candidate this machine's sshd sees has its
// algorithm lists limited to the names it knows; everything else in it is
// checked as written.

// validation is how apply checks the candidate, decided by the plan.
type validation struct {
	// Known limits the candidate's algorithm lists (by keyword) to names
	// the validating sshd knows; nil checks them as written.
	Known map[string][]string
}

// validationFor decides how this machine's sshd validates the config of
// the OpenSSH in st, and notes it in the plan when the lists are limited.
func validationFor(st *State) (validation, string) {
	v := st.Validator
	if !st.Offline || v.rel == nil || v.rel.String() == st.OpenSSH.rel.String() {
		return validation{}, ""
	}
	note := fmt.Sprintf("this machine's sshd (%s) validates the image's config (%s): the candidate it checks "+
		"has its algorithm lists limited to the algorithm names it knows; the image's own names were checked "+
		"against %s's tables", v.installedHere(), st.OpenSSH.Release, st.OpenSSH.Release)
	return validation{Known: v.rel.known}, note
}

// limitAlgorithms rewrites a config text so that every algorithm list
// names only what known holds. A list left empty is commented out (the
// validating sshd then checks its own default). Removal lists ("-a,b")
// are left alone: sshd does not check the names it removes.
func limitAlgorithms(text string, known map[string][]string) string {
	if known == nil {
		return text
	}
	lines := splitLines(text)
	for i, raw := range lines {
		l := parseLine(i+1, raw)
		names, isAlgo := known[l.keyword]
		if !isAlgo || l.value == "" || l.value[0] == '-' {
			continue
		}
		op, list := "", l.value
		if strings.ContainsRune("+^", rune(list[0])) {
			op, list = list[:1], list[1:]
		}
		var kept []string
		for _, a := range strings.Split(list, ",") {
			if slices.Contains(names, a) {
				kept = append(kept, a)
			}
		}
		indent := raw[:len(raw)-len(strings.TrimLeft(raw, " \t"))]
		if len(kept) == 0 {
			lines[i] = "# " + strings.TrimSpace(raw)
			continue
		}
		lines[i] = indent + settingByKey[l.keyword].keyword + " " + op + strings.Join(kept, ",")
	}
	return strings.Join(lines, "\n") + "\n"
}

// check validates the candidate config with `sshd -t -f`. The candidate
// is a copy of sshd_config and every file it includes, taken from the
// host's root with the planned edits applied, in a temporary directory;
// its Include lines point into that copy, so drop-ins are checked as sshd
// will read them. Under -root a throwaway host key stands in for the
// image's own (an image often has none yet).
func (m *Module) check(ctx context.Context, h *host.Host, edits map[string]string, v validation) error {
	dir, err := os.MkdirTemp("", "harden-sshd-")
	if err != nil {
		return fmt.Errorf("sshd: validate candidate: %w", err)
	}
	defer os.RemoveAll(dir)
	limit := func(text string) string { return limitAlgorithms(text, v.Known) }
	mainCopy, err := mirrorConfig(h, dir, configPath, edits, limit, 0)
	if err != nil {
		return fmt.Errorf("sshd: validate candidate: %w", err)
	}
	validate := m.validator
	if validate == nil {
		validate = m.sshdCheck
	}
	err = validate(ctx, h, mainCopy)
	if err != nil {
		// Name the operator's files, not the temporary copies.
		return fmt.Errorf("sshd: validate candidate: %s", strings.ReplaceAll(err.Error(), dir, ""))
	}
	return nil
}

// sshdCheck runs `sshd -t -f candidate`.
func (m *Module) sshdCheck(ctx context.Context, h *host.Host, candidate string) error {
	args := []string{"-t", "-f", candidate}
	if h.Offline() {
		key := filepath.Join(filepath.Dir(candidate), "harden-validate-hostkey")
		if _, err := h.Run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key); err != nil {
			return fmt.Errorf("throwaway host key: %w", err)
		}
		args = append(args, "-o", "HostKey="+key)
	}
	_, err := m.runSSHD(ctx, h, args...)
	return err
}

// mirrorConfig copies a config file (with its planned edit, then passed
// through transform when it is not nil) into dir at its system path,
// rewriting Include arguments to the mirrored copies and mirroring what
// they match. It returns the copy's path.
func mirrorConfig(h *host.Host, dir, sysPath string, edits map[string]string, transform func(string) string,
	depth int) (string, error) {
	if depth > 16 {
		return "", fmt.Errorf("%s: Include nested too deep", sysPath)
	}
	text, ok := edits[sysPath]
	if !ok {
		data, err := h.ReadFile(sysPath)
		if err != nil {
			return "", err
		}
		text = string(data)
	}
	if transform != nil {
		text = transform(text)
	}
	lines := splitLines(text)
	inMatch := false
	for i, raw := range lines {
		l := parseLine(i+1, raw)
		if l.keyword == "match" {
			inMatch = true
		}
		if l.keyword != "include" {
			continue
		}
		var rewritten []string
		for _, a := range args(l.value) {
			pattern := includePattern(a)
			if !inMatch {
				matches, err := h.Glob(pattern)
				if err != nil {
					return "", err
				}
				for _, inc := range matches {
					if _, err := mirrorConfig(h, dir, inc, edits, transform, depth+1); err != nil {
						return "", err
					}
				}
			}
			rewritten = append(rewritten, `"`+filepath.Join(dir, pattern)+`"`)
		}
		lines[i] = "Include " + strings.Join(rewritten, " ")
	}
	out := filepath.Join(dir, sysPath)
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", err
	}
	return out, os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}
