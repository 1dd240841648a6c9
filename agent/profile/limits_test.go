package profile_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"harden/agent/profile"
	"harden/agent/registry"
)

// deepEnv names the hostile case a child process of TestDeepNesting loads.
const deepEnv = "HARDEN_PROFILE_DEEP_CASE"

// deepSize is how large each hostile case is: 200 KB of parentheses
// overflowed the stack (1.1 GB RSS) before nesting was capped.
const deepSize = 200_000

// nest repeats open before inner and end after it, to about deepSize bytes.
func nest(open, inner, end string) string {
	return nestTo(deepSize, open, inner, end)
}

func nestTo(size int, open, inner, end string) string {
	n := size / (len(open) + len(end))
	return strings.Repeat(open, n) + inner + strings.Repeat(end, n)
}

// variableOf wraps an expression as a variable's default, which the loader
// evaluates: the parse and the evaluation both see it.
func variableOf(expr string) string {
	return "variable \"x\" {\n  default = " + expr + "\n}\n"
}

// deepCases builds each way of nesting HCL: brackets of every kind,
// templates, blocks, and the operators and postfix terms that nest the
// parser or the syntax tree one level each without a bracket.
func deepCases() map[string]string { return deepCasesOf(nest) }

func deepCasesOf(nest func(open, inner, end string) string) map[string]string {
	return map[string]string{
		"parentheses":        variableOf(nest("(", "1", ")")),
		"brackets":           variableOf(nest("[", "1", "]")),
		"objects":            variableOf(nest("{a=", "1", "}")),
		"function calls":     variableOf(nest("max(", "1", ")")),
		"for expressions":    variableOf(nest("[for x in [1]: ", "1", "]")),
		"templates":          variableOf(nest(`"${`, "1", `}"`)),
		"heredocs":           variableOf(nest("<<E\n${", "1", "}\nE\n")),
		"template ifs":       variableOf(`"` + nest("%{if true}", "x", "%{endif}") + `"`),
		"blocks":             "user \"x\" {\n" + nest("a {\n", "", "}\n") + "}\n",
		"negations":          variableOf(nest("-", "1", "")),
		"nots":               variableOf(nest("!", "true", "")),
		"binary operators":   variableOf(nest("", "1", "+1")),
		"conditionals":       variableOf(nest("true?1:", "1", "")),
		"index chains":       variableOf(nest("", "[1]", "[0*1]")),
		"splat chains":       variableOf(nest("", "[1]", "[*]")),
		"-var list":          "-var " + nest("[", "1", "]"),
		"-var-file brackets": "-var-file xs = " + nest("[", "1", "]") + "\n",
	}
}

// loadDeepCase is the child's side: it caps its own stack at 64 MiB (a
// regression dies with "stack overflow" instead of growing to 1 GB), loads
// one case with every module registered and prints the diagnostics.
func loadDeepCase(name string) {
	debug.SetMaxStack(64 << 20)
	src := deepCases()[name]
	var varFiles, vars []string
	if expr, ok := strings.CutPrefix(src, "-var "); ok {
		src, vars = `variable "xs" { type = list(any) }`, []string{"xs=" + expr}
	} else if body, ok := strings.CutPrefix(src, "-var-file "); ok {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("deep-%d.hcl", os.Getpid()))
		defer os.Remove(path)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			panic(err)
		}
		src, varFiles = `variable "xs" { type = any }`, []string{path}
	}
	l := profile.NewLoader(registry.Factories())
	_, diags := l.Load(profile.Source{Name: "p.hcl", Bytes: []byte(src)}, varFiles, vars)
	fmt.Println(formatDiags(diags))
}

func formatDiags(diags hcl.Diagnostics) string {
	var msgs []string
	for _, d := range diags {
		pos := "-"
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		msgs = append(msgs, fmt.Sprintf("%s: %s: %s", pos, d.Summary, d.Detail))
	}
	return strings.Join(msgs, "\n")
}

// TestDeepNesting loads each deeply nested case in a child process (the
// test binary itself) and wants a diagnostic naming the place and the
// limit, in bounded memory, instead of a stack overflow.
func TestDeepNesting(t *testing.T) {
	if name := os.Getenv(deepEnv); name != "" {
		loadDeepCase(name)
		return
	}
	wantPos := map[string]string{"-var list": "-var xs:1:", "-var-file brackets": "deep-"}
	for name := range deepCases() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDeepNesting$")
			cmd.Env = append(os.Environ(), deepEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%.600s", err, out)
			}
			pos := "p.hcl:"
			if p, ok := wantPos[name]; ok {
				pos = p
			}
			if !strings.Contains(string(out), pos) || !strings.Contains(string(out), "Nesting too deep") ||
				!strings.Contains(string(out), fmt.Sprint(profile.MaxNesting)) {
				t.Errorf("want a %q diagnostic at %s... naming the limit %d, got:\n%.600s",
					"Nesting too deep", pos, profile.MaxNesting, out)
			}
			if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10; rss > 256<<20 {
				t.Errorf("child peaked at %d MiB of memory, want under 256 MiB", rss>>20)
			}
		})
	}
}

// TestNestingWithinLimit: nesting up to the limit loads, so the cap refuses
// only what it must.
func TestNestingWithinLimit(t *testing.T) {
	for name, src := range map[string]string{
		"parentheses":                     variableOf(strings.Repeat("(", profile.MaxNesting-4) + "1" + strings.Repeat(")", profile.MaxNesting-4)),
		"list of 5000 addresses":          variableOf("[" + strings.Repeat(`"198.51.100.0/24", `, 5000) + "]"),
		"heredoc with 500 interpolations": variableOf("<<E\n" + strings.Repeat("${1} %{if true}x%{endif}\n", 500) + "E\n"),
		"conditionals in an object":       variableOf("{\n" + strings.Repeat("a = true ? 1 : 2\n", 400) + "}"),
	} {
		t.Run(name, func(t *testing.T) {
			l := profile.NewLoader(registry.Factories())
			if _, diags := l.Load(profile.Source{Name: "p.hcl", Bytes: []byte(src)}, nil, nil); diags.HasErrors() {
				t.Errorf("%.600s", formatDiags(diags))
			}
		})
	}
}

// TestTooLarge: a profile or -var-file over MaxSize is refused with a
// diagnostic that names the limit and where long lists belong.
func TestTooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", profile.MaxSize) + "\n"
	_, msgs := load(t, big, nil, nil)
	for _, want := range []string{"p.hcl:1:1: Profile too large", fmt.Sprint(profile.MaxSize), "deny_sources_file"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("diagnostics:\n%.600s\nwant to contain %q", msgs, want)
		}
	}
	varFile := filepath.Join(t.TempDir(), "big.hcl")
	if err := os.WriteFile(varFile, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	_, msgs = load(t, varProfile, []string{varFile}, nil)
	for _, want := range []string{varFile, fmt.Sprintf("(%d bytes)", profile.MaxSize), "deny_sources_file"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("-var-file diagnostics:\n%.600s\nwant to contain %q", msgs, want)
		}
	}
}

// TestManyDiagnostics: a file that is not a profile (a binary, a list of
// words) gets a bounded list of diagnostics, the last saying how many more
// there are and where the next one is.
func TestManyDiagnostics(t *testing.T) {
	for name, src := range map[string]string{
		"binary": strings.Repeat("\x00\x01", 5000),
		"words":  strings.Repeat("word\n", 5000),
	} {
		t.Run(name, func(t *testing.T) {
			l := profile.NewLoader(registry.Factories())
			_, diags := l.Load(profile.Source{Name: "p.hcl", Bytes: []byte(src)}, nil, nil)
			if len(diags) > 31 {
				t.Fatalf("%d diagnostics, want at most 31", len(diags))
			}
			last := diags[len(diags)-1]
			if last.Summary != "Too many diagnostics" || !strings.Contains(last.Detail, "more follow") || last.Subject == nil {
				t.Errorf("last diagnostic: %s: %s at %v", last.Summary, last.Detail, last.Subject)
			}
		})
	}
}

// TestOddFiles: a profile or -var-file that is a FIFO, a directory, a
// device or too big is an error at once; a FIFO is never waited on and a
// device never drained.
func TestOddFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, make([]byte, profile.MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        "not a regular file",
		dir:         "not a regular file",
		"/dev/zero": "not a regular file",
		big:         fmt.Sprintf("(%d bytes)", profile.MaxSize),
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			within(t, 10*time.Second, func() {
				if _, err := profile.Resolve(path, dir); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Resolve: %v, want an error containing %q", err, want)
				}
				if _, msgs := load(t, varProfile, []string{path}, nil); !strings.Contains(msgs, want) {
					t.Errorf("-var-file: %s, want an error containing %q", msgs, want)
				}
			})
		})
	}
}

// TestConffileFIFO: a packaged conffile that is not a regular file is an
// error, not a hang and not a silent fall back to the default profile.
func TestConffileFIFO(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "etc/harden/profile.hcl")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(conf, 0o600); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, func() {
		if src, err := profile.Resolve("", root); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Resolve = %q, %v; want a not-a-regular-file error", src.Name, err)
		}
	})
}

// within runs f and fails the test if it does not return in time (a read
// that blocks on a FIFO would otherwise hang the test binary).
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("still running after %s: blocked on the file?", limit)
	}
}
