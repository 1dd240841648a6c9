package cli

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStrayArgumentsAreErrors: a word the verb does not take stops the run
// before anything is read or changed, and names what was probably meant.
func TestStrayArgumentsAreErrors(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(t.TempDir(), "site.hcl")
	if err := os.WriteFile(file, []byte("sshd {\n  port = 2200\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args       []string
		want, deny []string
	}{
		{[]string{"apply", "-root", root, "-auto-approve", "iri-public-node"},
			[]string{`unexpected argument "iri-public-node"`, "did you mean -profile iri-public-node?"}, nil},
		{[]string{"plan", "-root", root, file},
			[]string{`unexpected argument "` + file + `"`, "did you mean -profile " + file + "?"}, nil},
		{[]string{"plan", "-root", root, "json"}, []string{`unexpected argument "json"`, "did you mean -json?"}, nil},
		{[]string{"validate", "extra"}, []string{`harden validate: unexpected argument "extra"`}, []string{"-profile"}},
		{[]string{"rollback", "-root", root, "RUN1", "RUN2"}, []string{`harden rollback: unexpected argument "RUN2"`}, nil},
		{[]string{"status", "now"}, []string{`harden status: unexpected argument "now"`}, nil},
		{[]string{"version", "now"}, []string{`harden version: unexpected argument "now"`}, nil},
		{[]string{"cloud-init", "iri-node"}, []string{"did you mean -profile iri-node?"}, nil},
	}
	for _, c := range cases {
		code, out, errs := call(c.args...)
		if code != ExitError {
			t.Errorf("%q: exit %d, want %d\n%s%s", c.args, code, ExitError, out, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", c.args, w, errs)
			}
		}
		for _, d := range c.deny {
			if strings.Contains(errs, d) {
				t.Errorf("%q: stderr suggests %q:\n%s", c.args, d, errs)
			}
		}
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("a refused command line left %d entries under -root", len(left))
	}
}

// TestFlagsAnywhere: flags before, between and after the arguments, with
// one dash or two; "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	cases := []struct {
		args      []string
		wantArgs  []string
		wantRoot  string
		wantVars  []string
		wantDebug bool
	}{
		{[]string{"RUN", "-root", "/img"}, []string{"RUN"}, "/img", nil, false},
		{[]string{"--root=/img", "RUN"}, []string{"RUN"}, "/img", nil, false},
		{[]string{"-var", "a=1", "x", "--var", "b=2", "-debug", "y"}, []string{"x", "y"}, "/", []string{"a=1", "b=2"}, true},
		{[]string{"-root", "/img", "--", "-debug", "RUN"}, []string{"-debug", "RUN"}, "/img", nil, false},
		{[]string{"RUN", "--", "-root"}, []string{"RUN", "-root"}, "/", nil, false},
		{[]string{"-root", "--", "RUN"}, []string{"RUN"}, "--", nil, false}, // "--" as a flag's value, as flag.Parse reads it
		{[]string{"-", "-debug"}, []string{"-"}, "/", nil, true},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		root := fs.String("root", "/", "")
		var vars stringList
		fs.Var(&vars, "var", "")
		debug := fs.Bool("debug", false, "")
		got, err := interleave(fs, c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !slices.Equal(got, c.wantArgs) || *root != c.wantRoot || !slices.Equal(vars, c.wantVars) || *debug != c.wantDebug {
			t.Errorf("%q: args %q root %q vars %q debug %v; want %q %q %q %v",
				c.args, got, *root, vars, *debug, c.wantArgs, c.wantRoot, c.wantVars, c.wantDebug)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plna"}, `unknown command "plna"; did you mean "plan"?`},
		{[]string{"rollbak", "-root", "/img"}, `did you mean "rollback"?`},
		{[]string{"plan", "-rot", "/img"}, "unknown flag -rot; did you mean -root?"},
		{[]string{"apply", "--auto-aprove"}, "unknown flag -auto-aprove; did you mean -auto-approve?"},
		{[]string{"validate", "-profle", "x.hcl"}, "did you mean -profile?"},
		{[]string{"-root", "/img", "rollback", "R1"}, "the command comes before its flags: harden rollback -root /img R1"},
	}
	for _, c := range cases {
		code, _, errs := call(c.args...)
		if code != ExitError || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr lacks %q:\n%s", c.args, code, c.want, errs)
		}
	}
	if _, _, errs := call("plan", "-zzzzzzzz"); strings.Contains(errs, "did you mean") {
		t.Errorf("a flag close to nothing got a suggestion:\n%s", errs)
	}
}

// TestRootDecision: the verbs that read or change the machine need root;
// those that only read a profile or print do not. Every verb decides.
func TestRootDecision(t *testing.T) {
	want := map[string]bool{
		"plan": true, "apply": true, "rollback": true, "confirm": true, "status": true, "drift": true, "audit": true, "show": true,
		"validate": false, "cloud-init": false, "fmt": false, "completion": false, "profiles": false, "version": false,
	}
	for verb := range commands() {
		need, known := want[verb]
		if !known {
			t.Errorf("verb %s: add it to this test: does it read or change the machine?", verb)
		} else if needsRoot(verb) != need {
			t.Errorf("needsRoot(%s) = %v, want %v", verb, !need, need)
		}
	}
	err := requireRoot(1000, "plan", []string{"-root", "/images/a b", "-profile", "iri-node"})
	if err == nil || !strings.HasPrefix(err.Error(), "harden must run as root") ||
		!strings.Contains(err.Error(), "sudo harden plan -root '/images/a b' -profile iri-node") {
		t.Errorf("requireRoot as uid 1000: %v", err)
	}
	if err := requireRoot(0, "plan", nil); err != nil {
		t.Errorf("requireRoot as root: %v", err)
	}
	if err := requireRoot(1000, "validate", nil); err != nil {
		t.Errorf("validate needs no root: %v", err)
	}
}

func TestCommandLineKeepsRoot(t *testing.T) {
	img := t.TempDir()
	t.Chdir(filepath.Dir(img))
	for _, c := range []struct {
		root string
		args []string
		want string
	}{
		{"/", nil, "harden rollback"},
		{"", []string{"R1"}, "harden rollback R1"},
		{img, []string{"R1"}, "harden rollback -root " + img + " R1"},
		{filepath.Base(img), nil, "harden rollback -root " + img}, // relative: pasted elsewhere, still the image
		{"/srv/my image", []string{"R1"}, "harden rollback -root '/srv/my image' R1"},
		{"/srv/it's", nil, `harden rollback -root '/srv/it'\''s'`},
	} {
		if got := commandLine(c.root, "rollback", c.args...); got != c.want {
			t.Errorf("root %q: %s, want %s", c.root, got, c.want)
		}
	}
}

// TestProfileVerbsLeaveTheMachineAlone: validate and cloud-init read a
// profile and nothing else, so they say nothing about the machine's systemd.
func TestProfileVerbsLeaveTheMachineAlone(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, args := range [][]string{
		{"validate", "-profile", "iri-public-node"},
		{"cloud-init", "-deb-url", "https://example.org/h.deb", "-deb-sha256", sha},
	} {
		code, _, errs := call(args...)
		if code != ExitOK || errs != "" {
			t.Errorf("%q: exit %d, stderr:\n%s", args, code, errs)
		}
	}
}
