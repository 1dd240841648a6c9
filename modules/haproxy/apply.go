package haproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"go.uber.org/zap"

	"harden/modules/host"
	"harden/modules/module"
)

// installRecord is the custom undo step written before apt-get installs
// the package: undo purges what harden installed.
type installRecord struct {
	Purge string `json:"purge"`
}

// Apply installs, validates and writes, enables and reloads, in that order.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	installed, wrote := false, false
	for _, c := range plan.Changes {
		switch c.Data {
		case doInstall:
			if err := install(ctx, h); err != nil {
				return err
			}
			installed = true
		case doWrite:
			if err := validate(ctx, h, c.After); err != nil {
				return err
			}
			if err := h.MkdirAll("/etc/haproxy", host.FileMeta{Mode: 0o755}); err != nil {
				return fmt.Errorf("haproxy: %w", err)
			}
			if err := h.WriteFile(configPath, []byte(c.After), &host.FileMeta{Mode: 0o644}); err != nil {
				return fmt.Errorf("haproxy: %w", err)
			}
			wrote = true
		case doUnit:
			if err := h.SetEnabled(ctx, unitName, true); err != nil {
				return fmt.Errorf("haproxy: enable %s: %w", unitName, err)
			}
		}
	}
	if h.Offline() {
		return nil
	}
	return converge(ctx, h, wrote, installed)
}

// converge starts haproxy if it is not running, or reloads it onto a new
// file. After an install in this run the reload is not journaled: undoing
// the run purges the package, and a journaled reload would then be repeated
// on a unit that no longer exists.
func converge(ctx context.Context, h *host.Host, wrote, installed bool) error {
	active := ""
	if v, err := h.Systemd().Property(ctx, unitName, "ActiveState"); err == nil {
		active, _ = v.(string)
	}
	op := host.OpReload
	if active != "" && active != "active" && active != "reloading" {
		op = host.OpStart
	} else if !wrote {
		return nil
	}
	if installed {
		if err := h.Systemd().Run(ctx, op, unitName); err != nil {
			return fmt.Errorf("haproxy: %s %s: %w", op, unitName, err)
		}
		return nil
	}
	if err := h.RunUnit(ctx, op, unitName); err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	return nil
}

var aptEnv = []string{"DEBIAN_FRONTEND=noninteractive"}

func install(ctx context.Context, h *host.Host) error {
	if err := h.RecordCustom(installRecord{Purge: pkgName}); err != nil {
		return fmt.Errorf("haproxy: %w", err)
	}
	args := []string{"install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", pkgName}
	h.Logger().Info("installing haproxy", zap.String("cmd", "apt-get "+strings.Join(args, " ")))
	err := h.RunLogged(ctx, aptEnv, "apt-get", args...)
	if err != nil {
		// A fresh VPS often has stale or no package lists: refresh once.
		h.Logger().Info("apt-get install failed; refreshing package lists and retrying", zap.Error(err))
		if uerr := h.RunLogged(ctx, aptEnv, "apt-get", "update"); uerr != nil {
			return fmt.Errorf("haproxy: install: %w (then apt-get update: %v)", err, uerr)
		}
		if err = h.RunLogged(ctx, aptEnv, "apt-get", args...); err != nil {
			return fmt.Errorf("haproxy: install: %w", err)
		}
	}
	return nil
}

// validate checks a candidate with the real haproxy before it goes live.
// Offline without a haproxy binary there is nothing to check with.
func validate(ctx context.Context, h *host.Host, candidate string) error {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if h.Offline() {
			h.Logger().Warn("no haproxy binary: candidate not validated")
			return nil
		}
		return fmt.Errorf("haproxy: validate candidate: haproxy binary not found: %w", err)
	}
	return Check(ctx, h, bin, candidate)
}

// Check runs `haproxy -c -f` on a candidate written to a private temp file.
func Check(ctx context.Context, h *host.Host, bin, candidate string) error {
	f, err := os.CreateTemp("", "harden-haproxy-*.cfg")
	if err != nil {
		return fmt.Errorf("haproxy: validate candidate: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(candidate); err != nil {
		f.Close()
		return fmt.Errorf("haproxy: validate candidate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("haproxy: validate candidate: %w", err)
	}
	if _, err := h.Run(ctx, bin, "-c", "-f", f.Name()); err != nil {
		return fmt.Errorf("haproxy: validate candidate: %w", err)
	}
	return nil
}

// Undo purges a package harden installed (the engine restores files and
// enablement by itself).
func (m *Module) Undo(ctx context.Context, h *host.Host, data json.RawMessage) error {
	var rec installRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("haproxy: undo: %w", err)
	}
	if rec.Purge == "" || h.Offline() {
		return nil
	}
	if err := h.RunLogged(ctx, aptEnv, "apt-get", "purge", "-y", rec.Purge); err != nil {
		return fmt.Errorf("haproxy: undo install: %w", err)
	}
	return nil
}
