package sshd

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"harden/modules/host"
	"harden/modules/internal/procnet"
	"harden/modules/module"

	"go.uber.org/zap"
)

// Apply makes the planned changes: every sshd config file in the plan is
// checked with `sshd -t` as one candidate before anything is written (an
// invalid config never reaches the live files), then each change does its
// step through the host's journal, in plan order, and the planned unit jobs
// run.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	var steps []step
	var jobs unitJobs
	var check validation
	candidate := map[string]string{}
	for _, ch := range plan.Changes {
		s, ok := ch.Data.(step)
		if !ok {
			continue
		}
		steps = append(steps, s)
		jobs.add(s.jobs())
		if e, ok := s.(*fileEdit); ok && e.SSHDConfig {
			candidate[e.Path] = e.Content
			if e.Validation.Known != nil {
				check = e.Validation
			}
		}
	}
	if len(candidate) > 0 {
		if err := m.check(ctx, h, candidate, check); err != nil {
			return err
		}
	}
	for _, s := range steps {
		if err := s.run(ctx, h); err != nil {
			return fmt.Errorf("sshd: %w", err)
		}
	}
	if err := runJobs(ctx, h, jobs); err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	if (jobs.Reload || jobs.Restart || jobs.MoveSocket) && !h.Offline() {
		m.waitListening(ctx, h)
	}
	return nil
}

// step is what one planned change does in Apply (its Data), and the unit
// jobs it needs afterwards.
type step interface {
	run(ctx context.Context, h *host.Host) error
	jobs() unitJobs
}

// withJobs gives a step its unit jobs.
type withJobs struct{ Jobs unitJobs }

func (w *withJobs) jobs() unitJobs     { return w.Jobs }
func (w *withJobs) addJobs(j unitJobs) { w.Jobs.add(j) }

// A change that only needs unit jobs (a socket whose ports move).
func (j unitJobs) run(context.Context, *host.Host) error { return nil }
func (j unitJobs) jobs() unitJobs                        { return j }

func (e *fileEdit) run(_ context.Context, h *host.Host) error {
	if e.Delete {
		return h.RemoveFile(e.Path)
	}
	if err := h.MkdirAll(filepath.Dir(e.Path), host.FileMeta{Mode: 0o755}); err != nil {
		return err
	}
	return h.WriteFile(e.Path, []byte(e.Content), e.Meta)
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
	if jobs.Restart {
		return h.RunUnit(ctx, host.OpRestart, serviceUnit)
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
