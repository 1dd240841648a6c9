package main

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// linkedModule is a Go module compiled into the binary, with its license.
type linkedModule struct {
	Path, Version string
	License       string // DEP-5 short name
	Notice        string // the license text, or the copyright lines of a common license
	Full          bool   // Notice is the full text to reproduce
}

// commonLicenses are the licenses Debian ships under /usr/share/common-licenses:
// the copyright file refers to them instead of repeating the text.
var commonLicenses = []struct {
	name   string
	marker *regexp.Regexp
}{
	{"Apache-2.0", regexp.MustCompile(`(?is)Apache License.{0,40}Version 2\.0`)},
	{"MPL-2.0", regexp.MustCompile(`(?is)Mozilla Public License,? version 2\.0`)},
}

// stdlibName names the Go standard library and runtime in the copyright file.
const stdlibName = "Go standard library and runtime"

// linkedModules lists the modules in the binary's build information, the
// Go standard library first, each with the license file found in modDir
// (the module cache) or, for the standard library, in goroot.
func linkedModules(binary, modCache, goroot string) ([]linkedModule, error) {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read build info of %s: %w", binary, err)
	}
	std, err := licenseOf(goroot)
	if err != nil {
		return nil, fmt.Errorf("Go standard library: %w", err)
	}
	std.Path, std.Version = stdlibName, info.GoVersion
	mods := []linkedModule{std}
	deps := info.Deps
	sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
	for _, d := range deps {
		if d.Replace != nil {
			d = d.Replace
		}
		m, err := licenseOf(filepath.Join(modCache, escapeModulePath(d.Path)+"@"+d.Version))
		if err != nil {
			return nil, fmt.Errorf("module %s %s: %w", d.Path, d.Version, err)
		}
		m.Path, m.Version = d.Path, d.Version
		mods = append(mods, m)
	}
	return mods, nil
}

// escapeModulePath is the module cache's spelling of a path: capitals
// become "!" and the lower-case letter.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var licenseFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying)([.-].*)?$`)

// licenseOf reads the license files in dir: a common license by name,
// anything else as text to reproduce.
func licenseOf(dir string) (linkedModule, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return linkedModule{}, err
	}
	var texts []string
	for _, e := range entries {
		if e.IsDir() || !licenseFile.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return linkedModule{}, err
		}
		texts = append(texts, strings.TrimSpace(string(data)))
	}
	if len(texts) == 0 {
		return linkedModule{}, fmt.Errorf("no license file in %s", dir)
	}
	for _, c := range commonLicenses {
		if len(texts) == 1 && c.marker.MatchString(texts[0]) {
			return linkedModule{License: c.name, Notice: copyrightLines(texts[0])}, nil
		}
	}
	text := strings.Join(texts, "\n\n")
	return linkedModule{License: "other", Notice: text, Full: true}.named(), nil
}

// named gives a reproduced license text its DEP-5 short name when it is
// one of the usual permissive ones.
func (m linkedModule) named() linkedModule {
	switch {
	case strings.Contains(m.Notice, "Permission is hereby granted, free of charge"):
		m.License = "Expat"
	case strings.Contains(m.Notice, "Redistribution and use in source and binary forms") &&
		strings.Contains(m.Notice, "Neither the name"):
		m.License = "BSD-3-clause"
	case strings.Contains(m.Notice, "Redistribution and use in source and binary forms"):
		m.License = "BSD-2-clause"
	}
	return m
}

// copyrightLines keeps the "Copyright ..." lines of a common license's
// file (its holders), since the text itself is referred to by name.
func copyrightLines(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "Copyright ") || strings.Contains(l, "[yyyy]") {
			continue
		}
		l = strings.TrimSpace(strings.TrimPrefix(l, "Copyright "))
		for _, mark := range []string{"(c)", "(C)", "©"} {
			l = strings.TrimSpace(strings.TrimPrefix(l, mark))
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// writeCopyright writes a machine-readable debian/copyright: harden's own
// stanza (from header) and one stanza per module compiled into the binary.
func writeCopyright(w io.Writer, header string, mods []linkedModule) {
	fmt.Fprint(w, strings.TrimRight(header, "\n")+"\n")
	for _, m := range mods {
		files := m.Path + "/*"
		if m.Path == stdlibName {
			files = "GOROOT/src/*"
		}
		fmt.Fprintf(w, "\nFiles: %s\nComment: %s %s, compiled into /usr/bin/harden\n", files, m.Path, m.Version)
		holders := copyrightLines(m.Notice)
		if holders == "" {
			holders = "the authors of " + m.Path
		}
		fmt.Fprintf(w, "Copyright: %s\n", indent(holders, " "))
		if !m.Full {
			fmt.Fprintf(w, "License: %s\n On Debian systems, the full text of the %s license is in\n"+
				" /usr/share/common-licenses/%s.\n", m.License, m.License, m.License)
			continue
		}
		fmt.Fprintf(w, "License: %s\n%s\n", m.License, formatted(m.Notice))
	}
}

// indent joins continuation lines with the given prefix.
func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// formatted is a DEP-5 multi-line field body: every line starts with a
// space, and an empty line is " .".
func formatted(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			lines[i] = " ."
		} else {
			lines[i] = " " + l
		}
	}
	return strings.Join(lines, "\n")
}
