// Command debmeta writes the parts of the harden .deb that are derived from
// the built binary, so they never drift from it:
//
//	debmeta man -bin BIN -version V -date YYYY-MM-DD        harden(1) in roff, from harden help -json
//	debmeta copyright -bin BIN -header FILE                 DEP-5 copyright of harden and each linked Go module
//
// It uses the standard library only, so the main module gains no
// packaging dependency.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: debmeta man|copyright [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "man":
		err = runMan(os.Args[2:])
	case "copyright":
		err = runCopyright(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q (man, copyright)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "debmeta: %v\n", err)
		os.Exit(1)
	}
}

func runMan(args []string) error {
	fs := flag.NewFlagSet("man", flag.ExitOnError)
	bin := fs.String("bin", "", "harden binary to ask for help -json (runs on this machine)")
	version := fs.String("version", "", "version shown in the page footer")
	date := fs.String("date", "", "date shown in the page footer, YYYY-MM-DD")
	fs.Parse(args)
	if *bin == "" || *version == "" || *date == "" {
		return fmt.Errorf("man needs -bin, -version and -date")
	}
	page, err := collectHelp(*bin)
	if err != nil {
		return err
	}
	page.Version, page.Date = *version, *date
	page.write(os.Stdout)
	return nil
}

// collectHelp asks the binary for its verbs and their flags (harden help
// -json): the page is made from the flag sets themselves, not from help
// text laid out for a person.
func collectHelp(bin string) (manPage, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, "help", "-json")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return manPage{}, fmt.Errorf("%s help -json: %w\n%s", bin, err, errb.String())
	}
	var page manPage
	if err := json.Unmarshal(out.Bytes(), &page.Help); err != nil {
		return manPage{}, fmt.Errorf("%s help -json: %w", bin, err)
	}
	if len(page.Help.Commands) == 0 {
		return manPage{}, fmt.Errorf("%s help -json lists no commands", bin)
	}
	return page, nil
}

func runCopyright(args []string) error {
	fs := flag.NewFlagSet("copyright", flag.ExitOnError)
	bin := fs.String("bin", "", "harden binary whose linked modules are listed")
	header := fs.String("header", "", "file with the Format line and harden's own stanza")
	fs.Parse(args)
	if *bin == "" || *header == "" {
		return fmt.Errorf("copyright needs -bin and -header")
	}
	head, err := os.ReadFile(*header)
	if err != nil {
		return err
	}
	modCache, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	goroot, err := goEnv("GOROOT")
	if err != nil {
		return err
	}
	mods, err := linkedModules(*bin, modCache, goroot)
	if err != nil {
		return err
	}
	writeCopyright(os.Stdout, string(head), mods)
	return nil
}

func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}
