package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"harden/agent/plan"
)

// fmtResult is fmt's JSON document: each file and whether it was (or, with
// -check, would be) rewritten.
type fmtResult struct {
	FormatVersion string    `json:"format_version"`
	Files         []fmtFile `json:"files"`
}

type fmtFile struct {
	Path    string `json:"path"`
	Changed bool   `json:"changed"`
}

// fmtArgs are fmt's flags.
type fmtArgs struct {
	check, diff, json bool
}

func runFmt(io IO, args []string) int {
	var a fmtArgs
	var noColor bool
	fs := newFlagSet(io, "fmt", "[flags] [FILE...]",
		"Rewrite profiles in the canonical HCL layout (aligned =, indentation), as terraform fmt does.\n"+
			"Without FILE: /etc/harden/profile.hcl. \"-\" reads standard input and writes standard output.\n"+
			"A file that does not parse is left alone and reported with file:line:column.\n"+
			"Exit 0: formatted; 3 (-check): some file is not; 1: an error.")
	fs.BoolVar(&a.check, "check", false, "change nothing; exit 3 if a file is not formatted")
	fs.BoolVar(&a.diff, "diff", false, "print the changes as unified diffs")
	fs.BoolVar(&a.json, "json", false, "print machine-readable JSON on stdout")
	fs.BoolVar(&noColor, "no-color", false, "never colour the output (as the NO_COLOR environment variable does)")
	files, code, ok := parseArgs(fs, io, args, 1<<16)
	if !ok {
		return code
	}
	if len(files) == 0 {
		files = []string{defaultProfilePath}
	}
	res := fmtResult{FormatVersion: plan.FormatVersion, Files: []fmtFile{}}
	unformatted, failed := false, false
	for _, path := range files {
		changed, err := formatOne(io, a, path)
		if err != nil {
			fail(io, err)
			failed = true
			continue
		}
		res.Files = append(res.Files, fmtFile{Path: path, Changed: changed})
		unformatted = unformatted || changed
		if changed && !a.json && !a.diff && path != "-" {
			fmt.Fprintln(io.Out, path)
		}
	}
	if a.json {
		emitJSON(io, res)
	}
	switch {
	case failed:
		return ExitError
	case a.check && unformatted:
		return exitUnformatted
	}
	return ExitOK
}

// exitUnformatted is fmt -check's answer for a file that needs formatting,
// as terraform fmt -check gives it.
const exitUnformatted = 3

// defaultProfilePath is the profile a machine uses when none is named.
const defaultProfilePath = "/etc/harden/profile.hcl"

// formatOne formats one file (or stdin, "-") and reports whether it changed.
func formatOne(io IO, a fmtArgs, path string) (bool, error) {
	var src []byte
	var err error
	if path == "-" {
		var buf bytes.Buffer
		_, err = buf.ReadFrom(io.In)
		src = buf.Bytes()
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return false, err
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		writeDiagnostics(io, map[string]*hcl.File{path: file}, diags)
		return false, fmt.Errorf("%s: not formatted: it does not parse", path)
	}
	out := hclwrite.Format(src)
	changed := !bytes.Equal(src, out)
	switch {
	case path == "-" && !a.check && !a.json:
		_, err = io.Out.Write(out)
	case a.diff && changed:
		_, err = fmt.Fprint(io.Out, udiff.Unified(path, path, string(src), string(out)))
	}
	if err != nil || !changed || a.check || path == "-" {
		return changed, err
	}
	return true, writeInPlace(path, out)
}

// writeInPlace replaces a file atomically, keeping its mode.
func writeInPlace(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
