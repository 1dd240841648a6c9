package cli

import (
	"flag"
	"maps"
	"slices"
	"strings"

	"harden/agent/plan"
)

// CommandDoc describes a verb from its own flag set: what the man page,
// the shell completions and `harden help -json` are generated from.
type CommandDoc struct {
	Name     string `json:"name"`
	Summary  string `json:"summary"`
	Synopsis string `json:"synopsis"` // "harden plan [flags]"
	About    string `json:"about"`
	// Root: the verb reads or changes the machine, so it runs as root.
	Root  bool      `json:"root"`
	Flags []FlagDoc `json:"flags"`
}

// FlagDoc is one flag of a verb.
type FlagDoc struct {
	Name    string `json:"name"`          // without the dash
	Arg     string `json:"arg,omitempty"` // its value's name; "" for a switch
	Usage   string `json:"usage"`
	Default string `json:"default,omitempty"`
	// Repeatable flags collect every value given (-var, -target).
	Repeatable bool `json:"repeatable,omitempty"`
}

// HelpDoc is `harden help -json`.
type HelpDoc struct {
	FormatVersion string       `json:"format_version"`
	About         string       `json:"about"`
	ExitCodes     string       `json:"exit_codes"`
	Commands      []CommandDoc `json:"commands"`
}

func helpDoc() HelpDoc {
	return HelpDoc{FormatVersion: plan.FormatVersion, About: about, ExitCodes: exitCodes, Commands: Describe()}
}

// Describe describes every verb, by name. Each verb is asked for its help
// (which returns before it does anything) and its flag set read.
func Describe() []CommandDoc {
	cmds := commands()
	var out []CommandDoc
	for _, name := range slices.Sorted(maps.Keys(cmds)) {
		cmd := cmds[name]
		rep := &report{}
		cmd.run(IO{In: strings.NewReader(""), Out: discard, Err: discard, rep: rep}, []string{"--help"})
		doc := CommandDoc{Name: name, Summary: cmd.summary, Synopsis: strings.TrimSpace("harden " + name + " " + rep.synopsis),
			About: rep.about, Root: cmd.machine, Flags: []FlagDoc{}}
		if rep.fs != nil {
			rep.fs.VisitAll(func(f *flag.Flag) { doc.Flags = append(doc.Flags, flagDoc(f)) })
		}
		out = append(out, doc)
	}
	return out
}

func flagDoc(f *flag.Flag) FlagDoc {
	arg, usage := flag.UnquoteUsage(f)
	_, repeatable := f.Value.(*stringList)
	d := FlagDoc{Name: f.Name, Arg: arg, Usage: usage, Repeatable: repeatable}
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
		d.Default = f.DefValue
	}
	return d
}
