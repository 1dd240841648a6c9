package main

import (
	"fmt"
	"io"
	"strings"
)

// helpDoc is `harden help -json`: harden's description and every verb
// described from its own flag set (the fields debmeta uses).
type helpDoc struct {
	About     string       `json:"about"`
	ExitCodes string       `json:"exit_codes"`
	Commands  []commandDoc `json:"commands"`
}

type commandDoc struct {
	Name     string    `json:"name"`
	Summary  string    `json:"summary"`
	Synopsis string    `json:"synopsis"`
	About    string    `json:"about"`
	Flags    []flagDoc `json:"flags"`
}

type flagDoc struct {
	Name    string `json:"name"`
	Arg     string `json:"arg"`
	Usage   string `json:"usage"`
	Default string `json:"default"`
}

// roff escapes text for a man page line: backslashes, minus signs, and
// a leading dot or quote that roff would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// quoteArg quotes a macro argument; roff spells a quote inside as "".
func quoteArg(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// paragraphs writes help text lines, a blank line starting a new paragraph.
func paragraphs(w io.Writer, lines []string) {
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			fmt.Fprintln(w, ".PP")
			continue
		}
		fmt.Fprintln(w, roff(strings.TrimSpace(l)))
	}
}

// manPage is everything harden(1) is made of.
type manPage struct {
	Version string
	Date    string // YYYY-MM-DD
	Help    helpDoc
}

// write renders harden(1) in man(7) roff.
func (m manPage) write(w io.Writer) {
	fmt.Fprintf(w, ".TH HARDEN 1 %s %s \"System Administration\"\n", quoteArg(m.Date), quoteArg(roff("harden "+m.Version)))
	fmt.Fprintln(w, ".SH NAME")
	fmt.Fprintln(w, `harden \- converge a Debian or Ubuntu server running an IOTA node to a hardened state`)
	fmt.Fprintln(w, ".SH SYNOPSIS")
	fmt.Fprintln(w, ".B harden")
	fmt.Fprintln(w, ".I COMMAND")
	fmt.Fprintln(w, ".RI [ flags ]")
	fmt.Fprintln(w, ".SH DESCRIPTION")
	paragraphs(w, strings.Split(m.Help.About, "\n"))
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, c := range m.Help.Commands {
		fmt.Fprintf(w, ".SS %s\n", quoteArg(roff(c.Synopsis)))
		if strings.TrimSpace(c.About) == "" {
			fmt.Fprintln(w, roff(c.Summary))
		} else {
			paragraphs(w, strings.Split(c.About, "\n"))
		}
		for _, f := range c.Flags {
			fmt.Fprintln(w, ".TP")
			if f.Arg != "" {
				fmt.Fprintf(w, ".BI %s \" \" %s\n", quoteArg(roff("-"+f.Name)), quoteArg(roff(f.Arg)))
			} else {
				fmt.Fprintf(w, ".B %s\n", roff("-"+f.Name))
			}
			text := f.Usage
			if f.Default != "" {
				text += " (default: " + f.Default + ")"
			}
			fmt.Fprintln(w, roff(text))
		}
	}
	fmt.Fprintln(w, ".SH EXIT STATUS")
	paragraphs(w, []string{m.Help.ExitCodes})
	fmt.Fprintln(w, ".SH FILES")
	for _, f := range [][2]string{
		{"/etc/harden/profile.hcl", "The profile used when no \\-profile is given (a conffile: local edits survive upgrades)."},
		{"/var/lib/harden/runs/", "One directory per applied run: the plan, the journal of changes and the backups of every replaced file."},
		{"/var/lib/harden/pending.json", "An apply waiting for harden confirm; rolled back by its timer or at boot."},
		{"/var/lib/harden/drift.json", "The result of the last drift check, shown by harden status."},
		{"/lib/systemd/system/harden\\-drift.timer", "Runs harden drift periodically once enabled."},
		{"/lib/systemd/system/harden\\-pending\\-rollback.service", "Rolls back an unconfirmed apply at boot."},
	} {
		fmt.Fprintf(w, ".TP\n.I %s\n%s\n", f[0], f[1])
	}
	fmt.Fprintln(w, ".SH SEE ALSO")
	fmt.Fprintln(w, ".BR sshd_config (5),")
	fmt.Fprintln(w, ".BR nft (8),")
	fmt.Fprintln(w, ".BR systemd.timer (5),")
	fmt.Fprintln(w, ".BR journalctl (1)")
}
