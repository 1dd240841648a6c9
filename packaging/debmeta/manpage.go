package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// helpPage is one command's --help output, split into its parts.
type helpPage struct {
	Synopsis string // "harden plan [flags]"
	About    []string
	Flags    []flagHelp
}

type flagHelp struct {
	Name string // "-profile"
	Arg  string // "FILE", or "" for a switch
	Text string
}

// topHelp is `harden --help`: the description and the command list.
type topHelp struct {
	Synopsis string
	About    []string
	Commands []commandHelp
	Trailer  []string // what follows the command list (exit codes)
}

type commandHelp struct {
	Name, Summary string
}

var commandLine = regexp.MustCompile(`^  ([a-z][a-z0-9-]*)\s{2,}(.+)$`)

// parseTop reads the top-level usage: "Usage: ...", paragraphs, "Commands:",
// one "  name  summary" line per command, then the trailing paragraphs.
func parseTop(text string) (topHelp, error) {
	var t topHelp
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "Usage: ") {
		return t, fmt.Errorf("top-level help does not start with \"Usage: \"")
	}
	t.Synopsis = strings.TrimPrefix(lines[0], "Usage: ")
	section := "about"
	for _, l := range lines[1:] {
		switch {
		case l == "Commands:":
			section = "commands"
		case section == "commands" && commandLine.MatchString(l):
			m := commandLine.FindStringSubmatch(l)
			t.Commands = append(t.Commands, commandHelp{Name: m[1], Summary: m[2]})
		case section == "commands" && strings.TrimSpace(l) == "" && len(t.Commands) > 0:
			section = "trailer"
		case section == "about":
			t.About = append(t.About, l)
		case section == "trailer":
			t.Trailer = append(t.Trailer, l)
		}
	}
	if len(t.Commands) == 0 {
		return t, fmt.Errorf("top-level help lists no commands")
	}
	t.About, t.Trailer = trimBlank(t.About), trimBlank(t.Trailer)
	return t, nil
}

// parseCommand reads a verb's usage as Go's flag package prints it:
// "Usage: harden VERB ...", the about text, "Flags:", then PrintDefaults.
func parseCommand(text string) (helpPage, error) {
	var p helpPage
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "Usage: ") {
		return p, fmt.Errorf("command help does not start with \"Usage: \"")
	}
	p.Synopsis = strings.TrimSpace(strings.TrimPrefix(lines[0], "Usage: "))
	inFlags := false
	for _, l := range lines[1:] {
		switch {
		case l == "Flags:":
			inFlags = true
		case !inFlags:
			p.About = append(p.About, l)
		case strings.HasPrefix(l, "  -"):
			// "  -name ARG" with the text on the next lines, or
			// "  -x\ttext" for one-letter flags.
			head, text, _ := strings.Cut(strings.TrimPrefix(l, "  "), "\t")
			name, arg, _ := strings.Cut(strings.TrimSpace(head), " ")
			p.Flags = append(p.Flags, flagHelp{Name: name, Arg: arg, Text: strings.TrimSpace(text)})
		case strings.HasPrefix(l, "    \t") && len(p.Flags) > 0:
			f := &p.Flags[len(p.Flags)-1]
			f.Text = strings.TrimSpace(f.Text + " " + strings.TrimSpace(l))
		}
	}
	p.About = trimBlank(p.About)
	return p, nil
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
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
	Version  string
	Date     string // YYYY-MM-DD
	Top      topHelp
	Commands map[string]helpPage
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
	paragraphs(w, m.Top.About)
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, c := range m.Top.Commands {
		page, ok := m.Commands[c.Name]
		if !ok {
			page.Synopsis = "harden " + c.Name
		}
		fmt.Fprintf(w, ".SS %s\n", quoteArg(roff(page.Synopsis)))
		if !ok || len(page.About) == 0 {
			fmt.Fprintln(w, roff(c.Summary))
		} else {
			paragraphs(w, page.About)
		}
		for _, f := range page.Flags {
			fmt.Fprintln(w, ".TP")
			if f.Arg != "" {
				fmt.Fprintf(w, ".BI %s \" \" %s\n", quoteArg(roff(f.Name)), quoteArg(roff(f.Arg)))
			} else {
				fmt.Fprintf(w, ".B %s\n", roff(f.Name))
			}
			fmt.Fprintln(w, roff(f.Text))
		}
	}
	fmt.Fprintln(w, ".SH EXIT STATUS")
	paragraphs(w, m.Top.Trailer)
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
