package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const sampleHelp = `{
  "about": "harden hardens a machine.\n.dotted line and a back\\slash.",
  "exit_codes": "Exit codes: 0 success; 1 error.",
  "commands": [
    {"name": "apply", "summary": "Make the planned changes", "synopsis": "harden apply", "about": "", "flags": []},
    {"name": "plan", "summary": "Show the changes", "synopsis": "harden plan [flags]",
     "about": "Read the machine and show every change.",
     "flags": [
       {"name": "detailed-exitcode", "usage": "exit 0 when there are no changes, 2 when there are"},
       {"name": "profile", "arg": "FILE", "usage": "profile FILE, or the name of a built-in profile"},
       {"name": "log-level", "arg": "LEVEL", "usage": "log LEVEL", "default": "info"}
     ]}
  ]
}`

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
	var help helpDoc
	if err := json.Unmarshal([]byte(sampleHelp), &help); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	manPage{Version: "1.0", Date: "2026-01-02", Help: help}.write(&buf)
	page := buf.String()
	for _, want := range []string{`.TH HARDEN 1 "2026-01-02" "harden 1.0"`, `.SS "harden plan [flags]"`,
		`.BI "\-profile" " " "FILE"`, ".B \\-detailed\\-exitcode", `\&.dotted line and a back\eslash.`,
		"log LEVEL (default: info)",
		// apply has no page of its own: its summary stands in.
		".SS \"harden apply\"\nMake the planned changes"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if out := renderMan(t, buf.Bytes()); out != "" && !strings.Contains(out, "-detailed-exitcode") {
		t.Errorf("rendered page lacks the flag:\n%s", out)
	}
}

// renderMan has man render the page with warnings on: none may appear. It
// returns the rendered text ("" when man is not installed).
func renderMan(t *testing.T, page []byte) string {
	t.Helper()
	if _, err := exec.LookPath("man"); err != nil {
		t.Log("man not installed; rendering not checked")
		return ""
	}
	file := filepath.Join(t.TempDir(), "harden.1")
	if err := os.WriteFile(file, page, 0o644); err != nil {
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
	return string(out)
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
