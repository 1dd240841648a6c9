// Package module is the contract every harden module implements, and the plan
// data they produce. The engine (agent/) drives modules through it; renderers
// turn the data into text or JSON. Modules never print.
package module

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/hcl/v2"

	"harden/modules/host"
)

// Module converges one concern of the machine (sshd, firewall, ...).
//
// The life of a module in one run:
//
//	Decode (profile block → desired config; no machine access)
//	Read   (machine → State; never a side effect)
//	Plan   (desired config + State → changes; pure, no I/O)
//	Apply  (makes exactly the planned changes through the Host, which
//	        journals every step so the engine can undo it)
type Module interface {
	// Name is the module's address prefix: "sshd", "firewall", "user.iri".
	Name() string
	// Decode reads the module's profile block into its desired config.
	// Diagnostics carry the source range of the offending attribute.
	Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics
	// Read gathers what the machine really does. No side effects, ever.
	Read(ctx context.Context, h *host.Host) (State, error)
	// Plan compares the desired config with the read state. Pure.
	Plan(state State) (Plan, error)
	// Apply makes the planned changes. Every side effect goes through h.
	Apply(ctx context.Context, h *host.Host, plan Plan) error
}

// State is whatever a module read from the machine; only the module that
// produced it looks inside.
type State any

// Linker is implemented by modules that take a value from another module
// (the firewall opens the sshd port, haproxy denies what iri limits). The
// engine calls Link after every block is decoded and before Read.
type Linker interface {
	Link(peers Peers) hcl.Diagnostics
}

// Peers finds another decoded module of this run by name.
type Peers interface {
	Lookup(name string) (Module, bool)
}

// Undoer is implemented by modules whose Apply records custom undo steps
// (host.Host.RecordCustom): a firewall table, a created user. Files, unit
// enablement and reloads are undone by the engine without help.
//
// Undo may run in a later process (`harden rollback`) on a module fresh from
// its Factory that was never decoded: it must rely on data alone.
type Undoer interface {
	Undo(ctx context.Context, h *host.Host, data json.RawMessage) error
}

// Factory makes a module for a profile block. Labels names the block's labels
// ("user" has one: the user name); empty for unlabelled blocks.
type Factory struct {
	Block  string
	Labels []string
	// Doc is one line for `harden --help` and the README.
	Doc string
	New func() Module
}

// RunScoped is implemented by modules whose plan depends on whether a
// linked peer takes part in the run. -target can leave peers out; the
// engine then tells every module it keeps which ones it left out (the
// firewall keeps the ports sshd listens on open when sshd, left out, will
// not move off them in this run).
type RunScoped interface {
	LeftOut(names []string)
}

// Capabilities a module declares so that access safety (agent/access)
// treats it by what it can do, never by its name.

// AccessCutter is implemented by modules whose changes can cut the
// operator's SSH access (sshd, firewall): an apply that changes one is
// commit-confirmed.
type AccessCutter interface {
	CanCutSSHAccess() bool
}

// SSHListener is implemented by the module that runs sshd: the ports the
// profile wants it on (nil when it leaves them alone) and the ports it
// listens on now. A port move is planned from the two.
type SSHListener interface {
	Ports() []int
	LivePorts(ctx context.Context, h *host.Host) ([]int, error)
}

// SSHPortHolder is implemented by the modules that listen on or open the
// SSH port (sshd, firewall). In the first phase of a two-phase port move
// they are asked to keep the old port as well, so the operator's session
// survives until `harden confirm` proves the new port works.
type SSHPortHolder interface {
	HoldSSHPorts(ports []int)
}
