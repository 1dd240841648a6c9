// Package cli is harden's command line: verbs, flags, exit codes. It wires
// the profile loader, the engine and the renderer together and owns the
// process's stdout (plans) and stderr (logs, diagnostics).
package cli

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"harden/agent/plan"
	"harden/modules/module"
)

// Exit codes, as Terraform uses them.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan -detailed-exitcode: the plan is not empty
)

// Version is set at build time (-ldflags "-X harden/agent/cli.Version=...").
var Version = ""

// version is Version, or the VCS revision the binary was built from.
func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "0.0.0+" + s.Value[:12]
			}
		}
	}
	return "0.0.0-dev"
}

// IO is the process's standard streams.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	rep      *report // what this invocation has said (nil: not recorded)
}

type command struct {
	summary string
	machine bool // reads or changes the machine (or the image under -root): root only
	run     func(io IO, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"plan":       {"Show the changes apply would make; change nothing", true, runPlan},
		"apply":      {"Make the planned changes (asks first unless -auto-approve)", true, runApply},
		"audit":      {"Judge the machine against CIS, dev-sec and ssh-audit controls; change nothing", true, runAudit},
		"fmt":        {"Rewrite profiles in the canonical HCL layout", false, runFmt},
		"completion": {"Print a bash or zsh completion script", false, runCompletion},
		"validate":   {"Check a profile's syntax and meaning; no machine access", false, runValidate},
		"rollback":   {"Undo an applied run (default: the last one)", true, runRollback},
		"confirm":    {"Keep an apply that changed SSH or the firewall (disarm its rollback)", true, runConfirm},
		"status":     {"Show a pending confirmation, the last drift check and the recent runs", true, runStatus},
		"show":       {"Print a past run's plan and result (default: the newest)", true, runShow},
		"cloud-init": {"Print a #cloud-config that installs harden and applies a profile on first boot", false, runCloudInit},
		"drift":      {"Check for drift from the profile; log it to the journal (the drift timer runs this)", true, runDrift},
		"profiles":   {"List the built-in profiles, or `profiles show NAME`", false, runProfiles},
		"version":    {"Print harden's version", false, runVersion},
	}
}

// Main runs harden with the given arguments and returns the exit code.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	sio := IO{In: in, Out: out, Err: errw, rep: &report{}}
	if len(args) == 0 {
		usage(errw)
		return ExitError
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) == 2 && args[1] == "-json" {
			emitJSON(sio, helpDoc())
			return ExitOK
		}
		usage(out)
		return ExitOK
	case "-v", "-version", "--version":
		return runVersion(sio, nil)
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(errw, "harden: %s\n\n", unknownCommand(args))
		usage(errw)
		return ExitError
	}
	code := cmd.run(sio, args[1:])
	sio.rep.finish(sio, code)
	return code
}

// unknownCommand says why args[0] is no command, and what was meant: the
// closest verb, or the line with its verb first when flags came before it.
func unknownCommand(args []string) string {
	verbs := slices.Sorted(maps.Keys(commands()))
	if strings.HasPrefix(args[0], "-") {
		for i, a := range args {
			if slices.Contains(verbs, a) {
				line := append([]string{"harden", a}, slices.Delete(slices.Clone(args), i, i+1)...)
				return fmt.Sprintf("the command comes before its flags: %s", shellJoin(line...))
			}
		}
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := module.Suggest(args[0], verbs); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// about is harden's description; exitCodes what its exit codes mean.
const (
	about = `harden hardens a Debian/Ubuntu VPS running an IOTA node: it reads an HCL
profile, shows every change it would make (plan) and makes them (apply),
idempotently. Every replaced file is backed up under /var/lib/harden/runs.`
	exitCodes = "Exit codes: 0 success; 1 error; 2 (plan -detailed-exitcode, drift) changes pending, (audit) a\ncontrol failed."
)

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: harden COMMAND [flags]\n\n%s\n\nCommands:\n", about)
	cmds := commands()
	names := slices.Sorted(maps.Keys(cmds))
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'harden COMMAND --help' for a command's flags.\n\n%s\n", exitCodes)
}

// newFlagSet makes a verb's flag set with a usage that lists its flags.
func newFlagSet(io IO, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	io.rep.described(synopsis, about)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: harden %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runVersion(io IO, args []string) int {
	var asJSON bool
	fs := newFlagSet(io, "version", "", "Print harden's version.")
	fs.BoolVar(&asJSON, "json", false, "print machine-readable JSON on stdout")
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	if asJSON {
		emitJSON(io, struct {
			Version       string `json:"harden_version"`
			FormatVersion string `json:"format_version"`
		}{version(), plan.FormatVersion})
		return ExitOK
	}
	fmt.Fprintf(io.Out, "harden %s\n", version())
	return ExitOK
}

// discard is io.Discard, reachable where a parameter named io hides the package.
var discard = io.Discard
