package cli

// Every verb's command line is parsed here, so that the same rules hold for
// all of them: flags anywhere on the line (Go's -root, and --root as the
// flag package reads it), "--" ends the flags, a stray word is an error
// that says what was probably meant, an unknown flag gets the closest real
// one, and a verb that reads or changes the machine runs only as root.

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"harden/modules/module"
	"harden/profiles"
)

// parseFlags parses the command line of a verb that takes flags only.
func parseFlags(fs *flag.FlagSet, io IO, args []string) (int, bool) {
	_, code, ok := parseArgs(fs, io, args, 0)
	return code, ok
}

// parseArgs parses a verb's flags and returns its positional arguments, at
// most maxArgs of them. --help prints usage to stdout (exit 0); a bad command
// line, or a machine verb run by someone other than root, is reported on
// stderr (exit 1). ok is false when the verb must return code now.
func parseArgs(fs *flag.FlagSet, io IO, args []string, maxArgs int) (positional []string, code int, ok bool) {
	fs.SetOutput(discard) // the flag package would print usage itself
	defer fs.SetOutput(io.Err)
	positional, err := interleave(fs, args)
	io.rep.parsed(fs)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(io.Out)
		fs.Usage()
		return nil, ExitOK, false
	case err != nil:
		err = flagError(fs, err)
		io.rep.failed(err)
		fmt.Fprintf(io.Err, "harden %s: %v\nRun 'harden %s --help' for its flags.\n", fs.Name(), err, fs.Name())
		return nil, ExitError, false
	case len(positional) > maxArgs:
		err := strayArgument(fs, positional[maxArgs])
		io.rep.failed(err)
		fmt.Fprintf(io.Err, "harden %s: %v\n", fs.Name(), err)
		return nil, ExitError, false
	}
	if err := requireRoot(os.Geteuid(), fs.Name(), args); err != nil {
		io.rep.failed(err)
		fmt.Fprintln(io.Err, err)
		return nil, ExitError, false
	}
	return positional, 0, true
}

// interleave parses flags wherever they are on the line and returns the
// other words in order. The flag package stops at the first word that is
// not a flag: parse again after it, until the line or a "--" ends.
func interleave(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		used := len(args) - len(rest)
		if used > 0 && args[used-1] == "--" && !(used > 1 && takesValue(fs, args[used-2])) {
			return append(positional, rest...), nil // "--" ended the flags
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// takesValue reports whether word is a flag that reads the next word as its
// value ("-root" but not "-root=DIR" or a boolean flag).
func takesValue(fs *flag.FlagSet, word string) bool {
	name, ok := strings.CutPrefix(word, "-")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimPrefix(name, "-"))
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

// flagError rewords the flag package's "flag provided but not defined" and
// adds the closest flag the verb has.
func flagError(fs *flag.FlagSet, err error) error {
	name, unknown := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !unknown {
		return err
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if s := module.Suggest(name, names); s != "" {
		return fmt.Errorf("unknown flag -%s; did you mean -%s?", name, s)
	}
	return fmt.Errorf("unknown flag -%s", name)
}

// strayArgument is the error for a word the verb does not take, with what
// it probably meant: a profile given without -profile, a flag without its dash.
func strayArgument(fs *flag.FlagSet, word string) error {
	err := fmt.Errorf("unexpected argument %q", word)
	switch {
	case fs.Lookup("profile") != nil && isProfile(word):
		return fmt.Errorf("%w: did you mean -profile %s?", err, shellJoin(word))
	case fs.Lookup(word) != nil:
		return fmt.Errorf("%w: did you mean -%s?", err, word)
	}
	return fmt.Errorf("%w (see 'harden %s --help')", err, fs.Name())
}

// isProfile reports whether -profile would take word: a built-in profile's
// name or an existing file.
func isProfile(word string) bool {
	if _, ok := profiles.Get(strings.TrimPrefix(word, "builtin:")); ok {
		return true
	}
	info, err := os.Stat(word)
	return err == nil && !info.IsDir()
}

// needsRoot reports whether a verb reads or changes the machine (or an
// image under -root): only root may read its configuration, firewall and
// services, and harden's own records under /var/lib/harden.
func needsRoot(verb string) bool { return commands()[verb].machine }

// requireRoot refuses a machine verb to anyone but root, before it opens a
// netlink socket or D-Bus and fails there with a less helpful error.
func requireRoot(euid int, verb string, args []string) error {
	if euid == 0 || !needsRoot(verb) {
		return nil
	}
	return fmt.Errorf("harden must run as root: %s reads the system's configuration, firewall and services, "+
		"which only root may. Run it with sudo:\n  %s", verb, shellJoin(append([]string{"sudo", "harden", verb}, args...)...))
}

// commandLine is a harden command to print for copy-paste. It keeps -root,
// as an absolute path, so that it acts on the system the printing run did.
func commandLine(root, verb string, args ...string) string {
	words := []string{"harden", verb}
	if root != "" && root != "/" {
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
		words = append(words, "-root", root)
	}
	return shellJoin(append(words, args...)...)
}

// shellJoin joins words into a line sh reads back as the same words,
// quoting only those that need it.
func shellJoin(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = w
		if w == "" || strings.ContainsFunc(w, needsQuote) {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

func needsQuote(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
}
