package cli

import (
	"flag"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"harden/agent/engine"
	"harden/agent/profile"
	"harden/agent/registry"
	"harden/modules/host"
)

// options are the flags shared by the verbs that read a profile.
type options struct {
	profile  string
	vars     stringList
	varFiles stringList
	targets  stringList
	root     string
	json     bool
	log      logFlags
	view     viewFlags
}

func (o *options) register(fs *flag.FlagSet, machine bool) {
	fs.StringVar(&o.profile, "profile", "",
		"profile `FILE`, or the name of a built-in profile (default: /etc/harden/profile.hcl if present, else iri-node)")
	fs.Var(&o.vars, "var", "set a profile variable, `NAME=VALUE` (repeatable)")
	fs.Var(&o.varFiles, "var-file", "read profile variables from an HCL `FILE` of NAME = VALUE lines (repeatable)")
	o.log.register(fs)
	fs.BoolVar(&o.json, "json", false, "print machine-readable JSON on stdout")
	o.view.registerColor(fs)
	if machine {
		fs.Var(&o.targets, "target", "limit the run to a `MODULE` (sshd, firewall, user.iri, ...; repeatable)")
		fs.StringVar(&o.root, "root", "/", "operate on an offline system under `DIR` (an image) instead of this machine")
	}
}

// session is what a verb needs after flags: logger, host, loaded profile.
type session struct {
	log     *zap.Logger
	host    *host.Host
	source  profile.Source
	profile *profile.Profile
}

// machine makes the logger and host without a profile (rollback).
func (o *options) machine(io IO) (*session, bool) {
	log, ok := o.logger(io)
	if !ok {
		return nil, false
	}
	if o.root == "" {
		o.root = "/" // verbs without -root (confirm) work on this machine
	}
	if _, err := os.Stat(o.root); err != nil {
		fail(io, fmt.Errorf("-root: %w", err))
		return nil, false
	}
	h := host.New(host.Options{Root: o.root, Logger: log})
	return &session{log: log, host: h, profile: &profile.Profile{}}, true
}

func (o *options) logger(io IO) (*zap.Logger, bool) {
	log, err := o.log.logger(zapcore.AddSync(io.Err))
	if err != nil {
		fail(io, err)
		return nil, false
	}
	return log, true
}

// load resolves and decodes the profile for a verb that reads nothing else
// (validate, cloud-init): it has no host, so it says nothing of the machine.
func (o *options) load(io IO) (*session, bool) {
	log, ok := o.logger(io)
	if !ok {
		return nil, false
	}
	s := &session{log: log, profile: &profile.Profile{}}
	return s, s.resolve(io, o)
}

// resolve finds and decodes the profile -profile names, printing
// diagnostics on failure.
func (s *session) resolve(io IO, o *options) bool {
	src, err := profile.Resolve(o.profile, o.root)
	if err != nil {
		fail(io, err)
		return false
	}
	return s.decode(io, o, src)
}

// decode loads a profile source into the session.
func (s *session) decode(io IO, o *options, src profile.Source) bool {
	loader := profile.NewLoader(registry.Factories())
	p, diags := loader.Load(src, o.varFiles, o.vars)
	writeDiagnostics(io, loader.Parser.Files(), diags)
	if diags.HasErrors() {
		fail(io, fmt.Errorf("profile %s is not valid; nothing was read or changed", src.Name))
		return false
	}
	s.source, s.profile = src, p
	return true
}

// writeDiagnostics prints each diagnostic as FILE:LINE:COLUMN: SUMMARY,
// then hcl's own rendering with the source snippet and detail.
func writeDiagnostics(io IO, files map[string]*hcl.File, diags hcl.Diagnostics) {
	io.rep.diagnosed(diags)
	wr := hcl.NewDiagnosticTextWriter(io.Err, files, 100, colorFor(io.Err, io.rep != nil && io.rep.noColor))
	for _, d := range diags {
		if d.Subject != nil {
			fmt.Fprintf(io.Err, "%s:%d:%d: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)
		}
		_ = wr.WriteDiagnostic(d)
	}
}

// engine builds the engine for a loaded session, honouring -target.
func (s *session) engine(targets []string) (*engine.Engine, error) {
	e := &engine.Engine{
		Host: s.host, Modules: s.profile.Modules, Factories: registry.Factories(),
		Version: version(), Profile: s.profile.Source, Log: s.log,
	}
	return e, e.Targets(targets)
}

// start loads the profile and builds the engine (honouring -target) for a
// verb that plans; ok is false after it has reported why.
// Nothing on the machine is read before the profile is valid.
func (o *options) start(io IO) (*session, *engine.Engine, bool) {
	s, ok := o.machine(io)
	if !ok || !s.resolve(io, o) {
		return nil, nil, false
	}
	e, err := s.engine(o.targets)
	if err != nil {
		fail(io, err)
		return nil, nil, false
	}
	return s, e, true
}
