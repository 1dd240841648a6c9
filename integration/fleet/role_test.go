//go:build system

package fleet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// localPlay is a one-host play on this machine (local connection, as
// root already) of the role by path, as an operator who vendors roles
// would use it.
func localPlay(c *controller, vars map[string]any, flags ...string) playSpec {
	return playSpec{
		inventory: "[fleet]\nlocal ansible_connection=local ansible_become=false ansible_python_interpreter=/usr/bin/python3\n",
		role:      "harden",
		vars:      vars,
		flags:     flags,
		env:       []string{"ANSIBLE_ROLES_PATH=" + filepath.Join(c.root, "packaging/ansible/roles")},
	}
}

// A profile harden cannot load stops the role at the plan with harden's
// own words from its -json failure document: the file, line and column,
// and what was expected. The real harden runs here on this machine: a
// profile that does not load is refused before anything is read.
func TestRoleReportsAProfileErrorWithItsPlace(t *testing.T) {
	c := newController(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	harden, err := vps.BuildHarden(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte("sshd {\n  permit_root_login = \"maybe\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := c.run(localPlay(c, map[string]any{"harden_install": false, "harden_binary": harden, "harden_profile": bad}))
	if err != nil {
		t.Fatal(err)
	}
	msg := p.failures()
	if p.Result.Exit != 2 || p.Stats["local"].Failures != 1 {
		t.Fatalf("exit %d, recap %+v; want the host failed:\n%s", p.Result.Exit, p.Stats["local"], msg)
	}
	for _, want := range []string{"harden plan failed", bad + ":2:23: Invalid value for permit_root_login", "prohibit-password"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q:\n%s", want, msg)
		}
	}
}

// A harden whose JSON format has a major version this role does not know
// must stop the role before it reads a field, naming both versions. No
// such harden exists yet, so a script stands in for it: it prints what
// `harden plan -json` of a format 2.0 would start with. The play runs the
// role by path (roles_path), as an operator who vendors roles would, on
// this machine (local connection), in check mode: the plan is the first
// document the role reads.
func TestRoleRefusesUnknownFormat(t *testing.T) {
	c := newController(t)
	stub := filepath.Join(t.TempDir(), "harden")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"+
		`echo '{"format_version": "2.0", "harden_version": "9.0.0", "summary": {"create": 1}, "modules": []}'`+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := c.run(localPlay(c, map[string]any{"harden_install": false, "harden_binary": stub}, "--check"))
	if err != nil {
		t.Fatal(err)
	}
	msg := p.failures()
	if p.Result.Exit != 2 || p.Stats["local"].Failures != 1 {
		t.Fatalf("exit %d, recap %+v; want the host failed:\n%s", p.Result.Exit, p.Stats["local"], msg)
	}
	for _, want := range []string{"format 2.0", "harden 9.0.0", "reads format 1.x"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if rep, ok := p.Reports["local"]; ok {
		t.Errorf("the role recorded a result from a document it cannot read: %+v", rep)
	}
}

// The collection builds into the tarball Galaxy takes, with the role, its
// argument spec and the collection's runtime requirement in it.
func TestCollectionBuilds(t *testing.T) {
	c := newController(t)
	out := t.TempDir()
	if r := c.command(nil, "ansible-galaxy", "collection", "build", "--output-path", out,
		filepath.Join(c.root, "packaging/ansible")); r.Exit != 0 {
		t.Fatalf("%s", r)
	}
	tarball := filepath.Join(out, "harden-fleet-1.0.0.tar.gz")
	list, err := exec.Command("tar", "-tzf", tarball).Output()
	if err != nil {
		t.Fatalf("tar -tzf %s: %v", tarball, err)
	}
	for _, want := range []string{"MANIFEST.json", "meta/runtime.yml", "roles/harden/tasks/main.yml",
		"roles/harden/tasks/confirm.yml", "roles/harden/meta/argument_specs.yml", "roles/harden/defaults/main.yml"} {
		if !strings.Contains("\n"+string(list), "\n"+want+"\n") {
			t.Errorf("the collection lacks %s:\n%s", want, list)
		}
	}
}
