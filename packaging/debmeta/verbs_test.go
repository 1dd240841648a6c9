package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hardenBinary is the harden binary the page is made from: HARDEN_BINARY,
// or one built from this checkout.
func hardenBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("HARDEN_BINARY"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "harden")
	build := exec.Command("go", "build", "-o", bin, "./agent/cmd/harden")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Every verb harden has gets its section in harden(1), with every flag
// the verb's own flag set has. (The page once lost cloud-init: its help
// line had one space where the help parser expected two.)
func TestManPageListsEveryVerbAndFlag(t *testing.T) {
	bin := hardenBinary(t)
	page, err := collectHelp(bin)
	if err != nil {
		t.Fatal(err)
	}
	page.Version, page.Date = "1.0", "2026-12-01"
	var buf bytes.Buffer
	page.write(&buf)
	man := buf.String()
	renderMan(t, buf.Bytes())

	out, err := exec.Command(bin, "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	verbs := 0
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if !strings.HasPrefix(l, "  ") || len(f) < 2 || strings.HasPrefix(f[0], "-") {
			continue
		}
		verbs++
		if !strings.Contains(man, `.SS "harden `+roff(f[0])) {
			t.Errorf("harden(1) has no section for %s", f[0])
		}
		help, _ := exec.Command(bin, f[0], "--help").Output()
		for _, hl := range strings.Split(string(help), "\n") {
			if name, ok := strings.CutPrefix(hl, "  -"); ok {
				name, _, _ = strings.Cut(name, " ")
				name, _, _ = strings.Cut(name, "\t")
				if !strings.Contains(man, roff("-"+name)) {
					t.Errorf("harden(1) lacks %s -%s", f[0], name)
				}
			}
		}
	}
	if verbs < 10 {
		t.Errorf("found %d verbs in harden --help:\n%s", verbs, out)
	}
}
