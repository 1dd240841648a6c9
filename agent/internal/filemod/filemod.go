// Package filemod is a minimal module for the engine's own tests: it
// manages whole files (`file "NAME" { path = ..., content = ..., mode = ... }`).
// It is a real module (reads and writes real files through the Host), kept
// small so engine behaviour (ordering, journaling, undo, verification) can
// be tested without the weight of sshd or nftables.
package filemod

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"harden/modules/host"
	"harden/modules/module"
)

// Factory makes file modules. FailApply and SkipApply, when set on a module
// after decoding, make Apply fail or silently do nothing (to test undo and
// the post-apply check).
var Factory = module.Factory{Block: "file", Labels: []string{"name"}, Doc: "a whole file (tests)",
	New: func() module.Module { return &Module{} }}

// Module manages one file.
type Module struct {
	name      string
	Path      string `hcl:"path"`
	Content   string `hcl:"content"`
	Mode      *int   `hcl:"mode"`
	FailApply bool
	SkipApply bool
}

func (m *Module) Name() string { return "file." + m.name }

func (m *Module) Decode(b *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	m.name = b.Labels[0]
	diags := gohcl.DecodeBody(b.Body, ctx, m)
	if m.Mode != nil && (*m.Mode < 0 || *m.Mode > 0o777) {
		diags = append(diags, module.BadValue(module.AttrRange(b.Body, "mode"), "mode",
			fmt.Sprint(*m.Mode), "a permission between 0 and 0777", nil))
	}
	return diags
}

type state struct {
	exists  bool
	content string
}

func (m *Module) Read(_ context.Context, h *host.Host) (module.State, error) {
	data, err := h.ReadFile(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}, nil
	}
	if err != nil {
		return nil, err
	}
	return state{exists: true, content: string(data)}, nil
}

func (m *Module) Plan(s module.State) (module.Plan, error) {
	st := s.(state)
	if st.exists && st.content == m.Content {
		return module.Plan{}, nil
	}
	action := module.Update
	if !st.exists {
		action = module.Create
	}
	return module.Plan{Changes: []module.Change{{
		Address: fmt.Sprintf("file.%s[%s]", m.name, m.Path), Action: action,
		Before: st.content, After: m.Content,
	}}}, nil
}

func (m *Module) Apply(_ context.Context, h *host.Host, _ module.Plan) error {
	if m.SkipApply {
		return nil
	}
	var meta *host.FileMeta
	if m.Mode != nil {
		meta = &host.FileMeta{Mode: fs.FileMode(*m.Mode), UID: os.Geteuid(), GID: os.Getegid()}
	}
	if err := h.WriteFile(m.Path, []byte(m.Content), meta); err != nil {
		return err
	}
	if m.FailApply {
		return errors.New("failing as asked")
	}
	return nil
}
