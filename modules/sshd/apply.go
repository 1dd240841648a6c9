package sshd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"harden/modules/host"
	"harden/modules/internal/procnet"
	"harden/modules/module"

	"go.uber.org/zap"
)

// Apply makes the planned changes: every sshd config file in the plan is
// checked with `sshd -t` as one candidate before the first is written (an
// invalid config never reaches the live files), then the files are written
// through the host's journal and the planned unit jobs run.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	var edits []*fileEdit
	var jobs unitJobs
	for _, ch := range plan.Changes {
		switch d := ch.Data.(type) {
		case *fileEdit:
			edits = append(edits, d)
			jobs.add(d.Jobs)
		case unitJobs:
			jobs.add(d)
		}
	}
	candidate := map[string]string{}
	for _, e := range edits {
		if e.SSHDConfig {
			candidate[e.Path] = e.Content
		}
	}
	if len(candidate) > 0 {
		if err := m.check(ctx, h, candidate); err != nil {
			return err
		}
	}
	for _, e := range edits {
		if err := writeEdit(h, e); err != nil {
			return fmt.Errorf("sshd: %w", err)
		}
	}
	if err := runJobs(ctx, h, jobs); err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	if (jobs.Reload || jobs.MoveSocket) && !h.Offline() {
		m.waitListening(ctx, h)
	}
	return nil
}

func writeEdit(h *host.Host, e *fileEdit) error {
	if e.Delete {
		return h.RemoveFile(e.Path)
	}
	if err := h.MkdirAll(filepath.Dir(e.Path), host.FileMeta{Mode: 0o755}); err != nil {
		return err
	}
	return h.WriteFile(e.Path, []byte(e.Content), nil)
}

// runJobs runs the unit jobs once the files are in place. Moving the socket
// stops and starts ssh.service around the socket's restart, which also makes
// it read the new sshd_config: a reload on top would only re-execute it.
func runJobs(ctx context.Context, h *host.Host, jobs unitJobs) error {
	if jobs.DaemonReload {
		if err := h.DaemonReload(ctx); err != nil {
			return fmt.Errorf("daemon-reload: %w", err)
		}
	}
	if jobs.MoveSocket {
		return h.RestartSocket(ctx, socketUnit, serviceUnit)
	}
	if jobs.Reload {
		return h.RunUnit(ctx, host.OpReload, serviceUnit)
	}
	return nil
}

// listenWait bounds how long apply waits for sshd to listen after a reload.
const listenWait = 5 * time.Second

// waitListening waits until every desired port has a listening socket (on
// any address, read from the kernel's tables): systemd reports a reload done
// when sshd re-executes, before it listens again, and an operator who opens
// a new session at once would be refused. A port that stays silent is
// logged, not an error: the re-read after apply (sshd -T) is the judge of
// the configuration.
func (m *Module) waitListening(ctx context.Context, h *host.Host) {
	deadline := time.Now().Add(listenWait)
	for {
		listening, err := procnet.ListeningTCP(h.ReadFile)
		missing := slices.DeleteFunc(slices.Clone(m.Ports()), func(p int) bool { return listening[p] })
		if err == nil && len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			h.Logger().Warn("sshd does not listen yet after the reload", zap.Ints("ports", missing), zap.Error(err))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check validates the candidate config with `sshd -t -f`. The candidate
// is a copy of sshd_config and every file it includes, taken from the
// host's root with the planned edits applied, in a temporary directory;
// its Include lines point into that copy, so drop-ins are checked as sshd
// will read them. Under -root a throwaway host key stands in for the
// image's own (an image often has none yet).
func (m *Module) check(ctx context.Context, h *host.Host, edits map[string]string) error {
	dir, err := os.MkdirTemp("", "harden-sshd-")
	if err != nil {
		return fmt.Errorf("sshd: validate candidate: %w", err)
	}
	defer os.RemoveAll(dir)
	mainCopy, err := mirrorConfig(h, dir, configPath, edits, 0)
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

// mirrorConfig copies a config file (with its planned edit) into dir at
// its system path, rewriting Include arguments to the mirrored copies and
// mirroring what they match. It returns the copy's path.
func mirrorConfig(h *host.Host, dir, sysPath string, edits map[string]string, depth int) (string, error) {
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
					if _, err := mirrorConfig(h, dir, inc, edits, depth+1); err != nil {
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
