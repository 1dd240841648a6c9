package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const topText = `Usage: harden COMMAND [flags]

harden hardens a machine.
.dotted line and a back\slash.

Commands:
  apply      Make the planned changes
  plan       Show the changes

Run 'harden COMMAND --help' for a command's flags.

Exit codes: 0 success; 1 error.
`

const planText = `Usage: harden plan [flags]

Read the machine and show every change.

Flags:
  -detailed-exitcode
    	exit 0 when there are no changes, 2 when there are
  -profile FILE
    	profile FILE, or the name of a built-in profile
  -x	one-letter flag
`

func TestParseTop(t *testing.T) {
	top, err := parseTop(topText)
	if err != nil {
		t.Fatal(err)
	}
	if top.Synopsis != "harden COMMAND [flags]" {
		t.Errorf("synopsis %q", top.Synopsis)
	}
	if len(top.Commands) != 2 || top.Commands[1] != (commandHelp{"plan", "Show the changes"}) {
		t.Errorf("commands %+v", top.Commands)
	}
	if len(top.Trailer) != 3 || top.Trailer[2] != "Exit codes: 0 success; 1 error." {
		t.Errorf("trailer %q", top.Trailer)
	}
	if _, err := parseTop("harden: no usage\n"); err == nil {
		t.Error("text without Usage: parsed")
	}
}

func TestParseCommand(t *testing.T) {
	p, err := parseCommand(planText)
	if err != nil {
		t.Fatal(err)
	}
	want := []flagHelp{
		{"-detailed-exitcode", "", "exit 0 when there are no changes, 2 when there are"},
		{"-profile", "FILE", "profile FILE, or the name of a built-in profile"},
		{"-x", "", "one-letter flag"},
	}
	if len(p.Flags) != len(want) {
		t.Fatalf("flags %+v", p.Flags)
	}
	for i := range want {
		if p.Flags[i] != want[i] {
			t.Errorf("flag %d: got %+v, want %+v", i, p.Flags[i], want[i])
		}
	}
	if strings.Join(p.About, "|") != "Read the machine and show every change." {
		t.Errorf("about %q", p.About)
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"-profile":     `\-profile`,
		".starts":      `\&.starts`,
		"'quote":       `\&'quote`,
		`back\slash`:   `back\eslash`,
		"plain words.": "plain words.",
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestManPageRenders writes the page for the sample help and, when man is
// installed, has man render it with warnings on: none may appear.
func TestManPageRenders(t *testing.T) {
	top, _ := parseTop(topText)
	plan, _ := parseCommand(planText)
	var buf bytes.Buffer
	manPage{Version: "1.0", Date: "2026-01-02", Top: top,
		Commands: map[string]helpPage{"plan": plan}}.write(&buf)
	page := buf.String()
	for _, want := range []string{`.TH HARDEN 1 "2026-01-02" "harden 1.0"`, `.SS "harden plan [flags]"`,
		`.BI "\-profile" " " "FILE"`, ".B \\-detailed\\-exitcode", `\&.dotted line and a back\eslash.`,
		// apply has no page of its own: its summary stands in.
		".SS \"harden apply\"\nMake the planned changes"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Log("man not installed; rendering not checked")
		return
	}
	file := filepath.Join(t.TempDir(), "harden.1")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "--warnings", "-l", file)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("man warns:\n%s", stderr.String())
	}
	if !strings.Contains(string(out), "-detailed-exitcode") {
		t.Errorf("rendered page lacks the flag:\n%s", out)
	}
}

func TestLicenseOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "LICENSE"), []byte(text), 0o644)
		return d
	}
	apache := write("apache", "Copyright 2015 Some Corp.\n\n Apache License\n Version 2.0, January 2004\n\nCopyright [yyyy] [name of copyright owner]\n")
	m, err := licenseOf(apache)
	if err != nil {
		t.Fatal(err)
	}
	if m.License != "Apache-2.0" || m.Full || m.Notice != "2015 Some Corp." {
		t.Errorf("apache: %+v", m)
	}
	mit := write("mit", "MIT License\n\nCopyright (c) 2017 A. Author\n\nPermission is hereby granted, free of charge, to any person\n")
	if m, _ := licenseOf(mit); m.License != "Expat" || !m.Full || !strings.Contains(m.Notice, "Permission is hereby granted") {
		t.Errorf("mit: %+v", m)
	}
	os.MkdirAll(filepath.Join(dir, "bare"), 0o755)
	if _, err := licenseOf(filepath.Join(dir, "bare")); err == nil {
		t.Error("a module without a license file was accepted")
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/BurntSushi/toml"); got != "github.com/!burnt!sushi/toml" {
		t.Errorf("got %q", got)
	}
}

// TestCopyrightOfThisBinary lists the modules linked into this test binary:
// every one must have a stanza, so a new dependency cannot ship unlisted.
func TestCopyrightOfThisBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	modCache, err := goEnv("GOMODCACHE")
	if err != nil {
		t.Skip(err)
	}
	mods, err := linkedModules(exe, modCache, runtime.GOROOT())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	writeCopyright(&buf, "Format: x\n", mods)
	out := buf.String()
	if !strings.Contains(out, "Files: GOROOT/src/*") || !strings.Contains(out, "License: BSD-3-clause") {
		t.Errorf("no standard library stanza:\n%.600s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") && !strings.Contains(line, ": ") {
			t.Errorf("not a DEP-5 field or continuation line: %q", line)
		}
	}
}
