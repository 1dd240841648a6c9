package render_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"harden/agent/plan"
	"harden/agent/render"
	"harden/modules/module/moduletest"
)

// publicFirstPlan is the iri-public-node profile's first plan on a fresh
// Debian 12 VPS (harden plan -json on the system tier's image): 32 changes,
// among them haproxy.cfg, the firewall ruleset twice (live and persisted),
// and 17 sshd settings also written into sshd_config.
func publicFirstPlan(t *testing.T) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile("testdata/public-first.json")
	if err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// The first plan an operator sees reads in one screen: every change on a
// line or a few, no file's content, each fact once, nothing wider than the
// text wraps to. Printed whole, as before, it ran to 577 lines.
func TestPublicFirstPlanReadsInOneScreen(t *testing.T) {
	var buf bytes.Buffer
	// A terminal of 100 columns.
	if err := (render.Options{Width: 100, DiffHint: "harden plan -diff"}).Text(&buf, publicFirstPlan(t)); err != nil {
		t.Fatal(err)
	}
	moduletest.Golden(t, "public-first.txt", buf.Bytes())
	text := buf.String()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) > 100 {
		t.Errorf("the plan takes %d lines, want at most 100", len(lines))
	}
	for _, l := range lines {
		if len(l) > 100 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
	for _, fact := range []string{
		"frontend iri_api",                // haproxy.cfg's content
		"chain input",                     // the ruleset's
		"PermitRootLogin no",              // sshd_config's managed block, beside the setting
		"REMOTE_LIMIT_API does not apply", // a risk the haproxy block covers
	} {
		if strings.Contains(text, fact) {
			t.Errorf("the plan shows %q", fact)
		}
	}
	for _, once := range []string{"sshd.setting[Port]", "reload ssh.service", "ecdsa-sha2-nistp256,", "two-phase port move"} {
		if n := strings.Count(text, once); n != 1 {
			t.Errorf("%q shown %d times, want once", once, n)
		}
	}
	// A list shows what it loses, not both whole lists.
	if !strings.Contains(text, "sshd.setting[MACs]                    8 removed, 2 kept") {
		t.Errorf("MACs not shown as entries removed:\n%s", text)
	}
}

// With -diff the files and rulesets are shown whole, as unified diffs.
func TestPublicFirstPlanDiff(t *testing.T) {
	var buf bytes.Buffer
	if err := (render.Options{Diff: true}).Text(&buf, publicFirstPlan(t)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+frontend iri_api", "+\t\ttype filter hook input priority filter; policy drop;", "+PermitRootLogin no"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("-diff does not show %q", want)
		}
	}
}
