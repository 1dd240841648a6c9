// Command demo is what `make run` runs: harden's main job, done the way an
// operator does it, on a throwaway Debian 12 VPS booted from the system
// tier's cached image (systemd-nspawn, its own network namespace). It runs
// `harden plan`, `harden apply` and `harden confirm` over SSH, checks from
// this machine what changed (SSH port, key, password and root logins, the
// node's API behind HAProxy, the node's user and open-files limit), and
// removes the VPS. It never touches this machine's own sshd or firewall,
// and proves it by comparing them before and after.
//
// It exits 0 when every check from outside shows the hardened state, 1
// otherwise. Run it as root (make run does):
//
//	go run ./integration/cmd/demo [-harden BIN] [-node BIN]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"harden/integration/vps"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errw io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(errw)
	harden := fs.String("harden", "", "static harden `BINARY` to install on the VPS (default: build one)")
	node := fs.String("node", "", "static iristub `BINARY` that stands in for the IRI node (default: build one)")
	profile := fs.String("profile", "iri-public-node", "built-in `PROFILE` to apply")
	logs := fs.Bool("logs", false, "show harden's own log lines (stderr) too")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(errw, "demo: unexpected argument %q\n", fs.Arg(0))
		return 1
	}
	if reason := vps.Unsupported(); reason != "" {
		fmt.Fprintf(errw, "demo: booting a throwaway VPS needs %s.\n"+
			"Run `sudo make run` (it installs the Debian packages first), or `make plan` for a read-only plan of this machine.\n", reason)
		return 1
	}
	// Only Debian 12's image is needed (and built on first use).
	if os.Getenv("HARDEN_TEST_RELEASES") == "" {
		os.Setenv("HARDEN_TEST_RELEASES", "debian12")
	}
	log.SetFlags(0)
	log.SetOutput(errw)
	log.SetPrefix("    ")

	d := &demo{out: out, profile: *profile, start: time.Now()}
	if *logs {
		d.logs = errw
	}
	d.cols = terminalWidth(out)
	if err := d.binaries(*harden, *node); err != nil {
		fmt.Fprintf(errw, "demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(d.tmp)

	before, err := vps.SnapshotHost(publicPorts...)
	if err != nil {
		fmt.Fprintf(errw, "demo: %v\n", err)
		return 1
	}
	err = vps.Standalone("demo", func(format string, a ...any) { log.Printf(format, a...) }, d.flow)
	vps.Close()
	if err != nil {
		fmt.Fprintf(errw, "demo: %v\n", err)
		return 1
	}
	after, err := vps.SnapshotHost(publicPorts...)
	if err != nil {
		fmt.Fprintf(errw, "demo: %v\n", err)
		return 1
	}
	if diff := before.Diff(after); diff != "" {
		fmt.Fprintf(errw, "demo: this machine changed:\n%s", diff)
		return 1
	}
	d.stepf("VPS removed. This machine's own sshd and firewall are as they were (ruleset and listeners compared).")
	if !d.hardened {
		fmt.Fprintln(errw, "demo: the VPS does not look hardened from outside (see the table)")
		return 1
	}
	return 0
}

// terminalWidth is out's width when out is a terminal that takes colour
// (0: a pipe, a file, NO_COLOR).
func terminalWidth(out io.Writer) int {
	f, ok := out.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w >= 60 {
		return w
	}
	return 100
}

// binaries builds what was not given: harden and the node stand-in, both
// static so they run inside the VPS whatever this machine's libc is.
func (d *demo) binaries(harden, node string) error {
	var err error
	if d.tmp, err = os.MkdirTemp("", "harden-demo-"); err != nil {
		return err
	}
	if harden == "" {
		d.stepf("Building harden")
		if harden, err = vps.BuildHarden(context.Background(), d.tmp); err != nil {
			return err
		}
	}
	if node == "" {
		if node, err = vps.BuildStatic(context.Background(), d.tmp, "iristub", "./integration/iristub/cmd/iristub"); err != nil {
			return err
		}
	}
	if d.harden, err = filepath.Abs(harden); err != nil {
		return err
	}
	// The harness installs this binary on the VPS.
	os.Setenv("HARDEN_TEST_BINARY", d.harden)
	d.node = node
	return nil
}
