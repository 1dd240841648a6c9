package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// completionScript writes harden's completion script for shell to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errs := call("completion", shell)
	if code != ExitOK {
		t.Fatalf("completion %s: exit %d\n%s", shell, code, errs)
	}
	path := filepath.Join(t.TempDir(), "harden."+shell)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// bash offers verbs, each verb's own flags, and the values harden knows
// for a flag: real bash runs the generated function on each line.
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := completionScript(t, "bash")
	empty := t.TempDir() // file completion finds nothing here
	for _, tt := range []struct {
		line []string // the words; the last is being completed
		want []string
		not  []string
	}{
		{line: []string{"pl"}, want: []string{"plan"}},
		{line: []string{"plan", "-pro"}, want: []string{"-profile"}},
		{line: []string{"plan", "-profile", "iri-p"}, want: []string{"iri-public-node", "iri-public-node-docker"}},
		{line: []string{"plan", "-log-level", "w"}, want: []string{"warn"}},
		{line: []string{"apply", "-target", "ss"}, want: []string{"sshd"}},
		{line: []string{"profiles", "show", "iri-node-"}, want: []string{"iri-node-docker"}},
		{line: []string{"completion", ""}, want: []string{"bash", "zsh"}},
		{line: []string{"validate", "-r"}, want: nil, not: []string{"-root"}},
		{line: []string{"plan", "-var", "ssh_port=2200", "-de"}, want: []string{"-detailed-exitcode"}},
	} {
		words := append([]string{"harden"}, tt.line...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(words)-1) + `; _harden; printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", prog)
		cmd.Dir = empty
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tt.line, err, out)
		}
		got := strings.Fields(string(out))
		if !slices.Equal(got, tt.want) && !(tt.want == nil && len(got) == 0) {
			t.Errorf("harden %s<TAB>: %q, want %q", strings.Join(tt.line, " "), got, tt.want)
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("harden %s<TAB> offers %s", strings.Join(tt.line, " "), n)
			}
		}
	}
}

// zsh's script parses, and names every verb and every flag of each verb.
func TestZshCompletion(t *testing.T) {
	script := completionScript(t, "zsh")
	text, _ := os.ReadFile(script)
	for _, d := range Describe() {
		if !strings.Contains(string(text), "'"+d.Name+":") {
			t.Errorf("zsh completion lacks the verb %s", d.Name)
		}
		for _, f := range d.Flags {
			if !strings.Contains(string(text), "-"+f.Name+"[") {
				t.Errorf("zsh completion lacks %s -%s", d.Name, f.Name)
			}
		}
	}
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("no zsh to parse the script")
	}
	if out, err := exec.Command("zsh", "-n", script).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
}
