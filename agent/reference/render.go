package reference

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"harden/modules/module"
)

// Block is one profile block as the reference shows it.
type Block struct {
	Factory   module.Factory
	Reference module.Reference
	Declared  *Declared
}

// Blocks reads every factory's reference and what its decoder declares,
// and reports where the two disagree: an attribute the decoder takes that
// the reference leaves out, or one the reference documents that the
// decoder does not take.
func Blocks(factories []module.Factory) ([]Block, []error) {
	var out []Block
	var errs []error
	for _, f := range factories {
		doc, ok := f.New().(module.Documented)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: the module has no Reference", f.Block))
			continue
		}
		decl, err := declared(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b := Block{Factory: f, Reference: doc.Reference(), Declared: decl}
		var documented []string
		for _, a := range b.Reference.Attributes {
			documented = append(documented, a.Name)
			if !slices.Contains(decl.Attributes, a.Name) {
				errs = append(errs, fmt.Errorf("%s: the reference documents %s, which the block does not take", f.Block, a.Name))
			}
			if a.Type == "" || a.Default == "" || a.Doc == "" {
				errs = append(errs, fmt.Errorf("%s.%s: type, default or meaning missing", f.Block, a.Name))
			}
		}
		for _, name := range decl.Attributes {
			if !slices.Contains(documented, name) {
				errs = append(errs, fmt.Errorf("%s: the block takes %s, which the reference does not document", f.Block, name))
			}
		}
		for name := range decl.Blocks {
			errs = append(errs, fmt.Errorf("%s: nested block %s is not documented", f.Block, name))
		}
		out = append(out, b)
	}
	return out, errs
}

// Write renders the reference as Markdown.
func Write(w io.Writer, blocks []Block) error {
	var b strings.Builder
	b.WriteString(`# Profile reference

Every block and attribute a harden profile takes, generated from the code: the attributes from each module's
own decoder, their type, default and meaning from the module's Reference. ` + "`go test ./agent/reference`" + ` fails
when this file is stale; ` + "`go test ./agent/reference -update`" + ` rewrites it.

A profile is HCL. Every attribute is optional: left out, it takes the default below; set to ` + "`null`" + `, the
setting is left unmanaged (harden neither sets nor reads it back), unless the table says otherwise. Profiles can
declare variables (` + "`variable \"NAME\" { default = ..., description = \"...\" }`" + `, used as ` + "`var.NAME`" + `), set on the
command line with ` + "`-var NAME=VALUE`" + ` or ` + "`-var-file FILE`" + `. Blocks are applied in the order below.

`)
	for _, blk := range blocks {
		fmt.Fprintf(&b, "- [`%s`](#%s)\n", header(blk.Factory), blk.Factory.Block)
	}
	for _, blk := range blocks {
		r := blk.Reference
		fmt.Fprintf(&b, "\n## %s\n\n`%s { ... }`\n\n%s\n", blk.Factory.Block, header(blk.Factory), r.Summary)
		if r.Control != "" {
			fmt.Fprintf(&b, "\nBenchmarks: %s.\n", r.Control)
		}
		b.WriteString("\n| attribute | type | default | meaning | control |\n|---|---|---|---|---|\n")
		for _, a := range r.Attributes {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", a.Name, a.Type, cell(a.Default), cell(a.Doc), a.Control)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// header is the block's opening: its type and labels.
func header(f module.Factory) string {
	h := f.Block
	for _, l := range f.Labels {
		h += ` "` + strings.ToUpper(l) + `"`
	}
	return h
}

// cell keeps a value inside its table cell: code for HCL values, no pipes.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") ||
		s == "true" || s == "false" || strings.Trim(s, "0123456789") == "" {
		return "`" + s + "`"
	}
	return s
}
