package firewall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/nftables"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"harden/modules/host"
	"harden/modules/module"
)

// undoRecord is journaled before the table is replaced: the table as it
// was, in the model's text form, restored by Undo over netlink.
type undoRecord struct {
	Family  string `json:"family"`
	Name    string `json:"name"`
	Existed bool   `json:"existed"`
	Table   string `json:"table,omitempty"`
}

// Apply makes the planned changes in a safe order: check the file to be
// persisted with `nft -c`, journal the old table, replace the table in one
// netlink batch, write the files, enable nftables.service.
func (m *Module) Apply(ctx context.Context, h *host.Host, plan module.Plan) error {
	var table *tableChange
	var files []fileChange
	enable := false
	for _, c := range plan.Changes {
		switch d := c.Data.(type) {
		case tableChange:
			table = &d
		case fileChange:
			files = append(files, d)
		case serviceChange:
			enable = true
		default:
			return fmt.Errorf("firewall: apply: unexpected change %s", c.Address)
		}
	}
	for _, f := range files {
		if f.Path == m.persistPath {
			if err := m.check(ctx, h, f.Content); err != nil {
				return err
			}
		}
	}
	if table != nil {
		if h.Offline() {
			return errors.New("firewall: apply: a live table change under an offline root")
		}
		if err := h.RecordCustom(undoOf(table.Desired, table.Live)); err != nil {
			return fmt.Errorf("firewall: journal the previous table: %w", err)
		}
		if err := m.load(table.Desired); err != nil {
			return err
		}
		h.Logger().Info("firewall: table loaded", zap.String("table", table.Desired.ID()))
	}
	for _, f := range files {
		if err := h.MkdirAll(filepath.Dir(f.Path), host.FileMeta{Mode: 0o755}); err != nil {
			return fmt.Errorf("firewall: %w", err)
		}
		var meta *host.FileMeta
		if !h.Exists(f.Path) {
			meta = &host.FileMeta{Mode: fs.FileMode(f.Mode)}
		}
		if err := h.WriteFile(f.Path, f.Content, meta); err != nil {
			return fmt.Errorf("firewall: %w", err)
		}
	}
	if enable {
		if err := h.SetEnabled(ctx, serviceName, true); err != nil {
			return fmt.Errorf("firewall: enable %s: %w", serviceName, err)
		}
	}
	return nil
}

// load replaces the table in the kernel in one batch.
func (m *Module) load(t *Table) error {
	c, err := m.conn(nftables.WithSockOptions(batchSocket(batchBytes(t))))
	if err != nil {
		return fmt.Errorf("firewall: netlink: %w", err)
	}
	if err := addTable(c, t); err != nil {
		return fmt.Errorf("firewall: compile %s: %w", t.ID(), err)
	}
	if err := c.Flush(); err != nil {
		if errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.ENOBUFS) {
			return fmt.Errorf("firewall: load %s: %w (the batch outgrew the netlink socket's buffers: "+
				"run with CAP_NET_ADMIN, or raise net.core.wmem_max and net.core.rmem_max)", t.ID(), err)
		}
		return fmt.Errorf("firewall: load %s: %w", t.ID(), err)
	}
	return nil
}

// undoOf records the live table (without rules harden cannot rebuild).
func undoOf(desired, live *Table) undoRecord {
	rec := undoRecord{Family: desired.Family, Name: desired.Name}
	if live != nil {
		rec.Existed = true
		rec.Table = withoutUnknown(live).String()
	}
	return rec
}

func withoutUnknown(t *Table) *Table {
	out := *t
	out.Chains = nil
	for _, c := range t.Chains {
		kept := c
		kept.Rules = nil
		for _, r := range c.Rules {
			if !(&Table{Chains: []Chain{{Rules: []Rule{r}}}}).HasUnknown() {
				kept.Rules = append(kept.Rules, r)
			}
		}
		out.Chains = append(out.Chains, kept)
	}
	return &out
}

// Undo puts the table back as it was before the apply (or removes it if
// there was none), in one batch. It relies on the journaled data alone.
func (m *Module) Undo(ctx context.Context, h *host.Host, data json.RawMessage) error {
	var rec undoRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("firewall: undo record: %w", err)
	}
	if _, ok := families[rec.Family]; !ok || rec.Name == "" {
		return fmt.Errorf("firewall: undo record names no table")
	}
	var prev *Table
	var opts []nftables.ConnOption
	if rec.Existed {
		var err error
		if prev, err = ParseTable(rec.Table); err != nil {
			return fmt.Errorf("firewall: undo: previous table: %w", err)
		}
		opts = append(opts, nftables.WithSockOptions(batchSocket(batchBytes(prev))))
	}
	c, err := m.conn(opts...)
	if err != nil {
		return fmt.Errorf("firewall: undo: netlink: %w", err)
	}
	if prev == nil {
		delTable(c, rec.Family, rec.Name)
		h.Logger().Info("firewall: undo: remove table", zap.String("table", rec.Family+" "+rec.Name))
	} else {
		if err := addTable(c, prev); err != nil {
			return fmt.Errorf("firewall: undo: %w", err)
		}
		h.Logger().Info("firewall: undo: restore table", zap.String("table", prev.ID()))
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("firewall: undo: %w", err)
	}
	return nil
}

// checkRuleset runs `nft -c` on the file about to be persisted: a file
// nftables.service cannot load would leave the machine open after a reboot.
// `nft -c` needs netlink and CAP_NET_ADMIN: under an offline root without
// nft or without root the check is skipped (and logged).
func checkRuleset(ctx context.Context, h *host.Host, content []byte) error {
	_, err := exec.LookPath("nft")
	if h.Offline() && (err != nil || os.Geteuid() != 0) {
		h.Logger().Warn("firewall: offline root without nft or root: persisted ruleset not checked")
		return nil
	}
	if err != nil {
		return fmt.Errorf("firewall: nft not found: install the nftables package: %w", err)
	}
	if _, err := h.RunInput(ctx, content, "nft", "-c", "-f", "-"); err != nil {
		return fmt.Errorf("firewall: check the ruleset to persist: %w", err)
	}
	return nil
}
