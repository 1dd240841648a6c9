//go:build system

package perf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"harden/integration/vps"
)

// Targets of issue 9 (medians on the booted VPS, iri-public-node).
const (
	targetPlanMS       = 100
	targetPlanRSSMB    = 30
	targetFirstApplyMS = 3000
	targetBinaryMB     = 15
	targetDebMB        = 6
)

const (
	sshPort   = 2222 // iri-public-node's var.ssh_port default
	planRuns  = 20
	applyRuns = 5
	growRuns  = 10
)

// placeholderUnit stands in for the IRI node's unit.
const placeholderUnit = `[Unit]
Description=IRI node (placeholder)

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
`

// TestPerfReport boots a fresh VPS of each release, applies the full
// iri-public-node profile and measures plan and apply; it prints the
// figures table and the exec calls of one plan per release.
func TestPerfReport(t *testing.T) {
	if os.Getenv("HARDEN_PERF") != "1" {
		t.Skip("performance report runs with HARDEN_PERF=1 (make bench)")
	}
	vps.Require(t)
	tmp := t.TempDir()
	bin, deb := buildRelease(t, tmp)
	measure := buildMeasure(t, tmp)
	// One release at a time: two machines sharing two cores would measure
	// each other.
	for _, rel := range vps.Releases() {
		t.Run(rel.Name, func(t *testing.T) { reportOn(t, rel, bin, deb, measure) })
	}
}

// reportOn measures the release build on a fresh VPS of rel and prints the
// figures.
func reportOn(t *testing.T, rel vps.Release, bin, deb, measure string) {
	rows := []row{
		{What: "static binary (release, -s -w)", N: 1, S: single(sizeMB(t, bin)), Unit: "MB", Target: targetBinaryMB},
		{What: ".deb (make deb)", N: 1, S: single(sizeMB(t, deb)), Unit: "MB", Target: targetDebMB},
	}
	m := vps.Boot(t, vps.Options{Release: rel})
	rows = append(rows, row{What: "static binary (as the harness builds it)", N: 1,
		S: single(sizeMB(t, filepath.Join(m.Dir, "usr/local/bin/harden"))), Unit: "MB", Target: targetBinaryMB})
	install(t, m, measure, "/usr/local/bin/measure")
	install(t, m, bin, "/usr/local/bin/harden") // measure the release build
	writeFile(t, m, "/etc/systemd/system/iri.service", placeholderUnit)
	m.MustShell("systemctl daemon-reload && systemctl enable --now iri.service")

	// First apply on the fresh VPS, haproxy from the pre-downloaded debs.
	const profile = "-profile iri-public-node"
	first := measureOn(t, m, 1, "/root/first-apply.log", "harden apply -auto-approve -no-confirm -log-level debug "+profile)
	log := m.MustShell("cat /root/first-apply.log").Stdout
	aptMS := aptWindow(t, log)
	slowest := slowSteps(log, 8)
	rows = append(rows,
		row{What: "first apply, wall", N: 1, S: wallsMS(first), Unit: "ms", Target: targetFirstApplyMS},
		row{What: "  of which apt-get install haproxy (log)", N: 1, S: single(aptMS), Unit: "ms"},
		row{What: "  of which harden (wall - apt)", N: 1, S: single(wallsMS(first).Median - aptMS), Unit: "ms"},
		row{What: "first apply, peak RSS (harden or child)", N: 1, S: rssMB(first, false), Unit: "MB"})

	// Converged plan.
	plan := measureOn(t, m, planRuns, "", "harden plan -detailed-exitcode "+profile)
	rows = append(rows,
		row{What: "plan (converged), wall", N: planRuns, S: wallsMS(plan), Unit: "ms", Target: targetPlanMS},
		row{What: "plan, peak RSS of harden (VmHWM sampled)", N: planRuns, S: rssMB(plan, true), Unit: "MB", Target: targetPlanRSSMB},
		row{What: "plan, peak RSS of harden or a child (rusage)", N: planRuns, S: rssMB(plan, false), Unit: "MB", Target: targetPlanRSSMB})

	// Converged apply: nothing to do, no service touched.
	before := serviceState(t, m)
	noop := measureOn(t, m, applyRuns, "", "harden apply -auto-approve -no-confirm "+profile)
	if after := serviceState(t, m); after != before {
		t.Errorf("a converged apply touched a service:\nbefore:\n%s\nafter:\n%s", before, after)
	} else {
		t.Logf("converged apply touched no service (ssh, haproxy, nftables, iri: same main PID, start time, reload count; same ruleset)")
	}
	rows = append(rows,
		row{What: "apply (converged, no-op), wall", N: applyRuns, S: wallsMS(noop), Unit: "ms", Target: targetPlanMS},
		row{What: "apply (converged), peak RSS (rusage)", N: applyRuns, S: rssMB(noop, false), Unit: "MB", Target: targetPlanRSSMB})

	execs := execCalls(t, m, "harden plan -log-level debug "+profile)

	// Growth: plan time with a larger live ruleset.
	base := repoProfile(t, "iri-public-node.hcl")
	var failures []string
	denyFile, denyList := withDenySourcesFile(t, base, 10000)
	writeFile(t, m, denyListPath, denyList)
	for _, g := range []struct {
		name    string
		profile string
	}{
		{"+10 allowed TCP ports", withPorts(t, base, 10)},
		{"+100 allowed TCP ports", withPorts(t, base, 100)},
		{"+1000 allowed TCP ports", withPorts(t, base, 1000)},
		{"+10000 denied addresses (in the profile)", withDenySources(t, base, 10000)},
		{"+10000 denied addresses (deny_sources_file)", denyFile},
	} {
		path := "/root/growth.hcl"
		writeFile(t, m, path, g.profile)
		// A failed apply is a finding to report, not a reason to stop:
		// the plan is then measured against the unchanged ruleset.
		label := "plan, firewall " + g.name
		planArgs := "harden plan -detailed-exitcode -profile " + path
		if applied := measureOn(t, m, 1, "", "harden apply -auto-approve -no-confirm -profile "+path, 0, 1); applied[0].Exit != 0 {
			failures = append(failures, fmt.Sprintf("* apply with %s failed (plan measured with the change pending):\n%s", g.name, lastLines(applied[0].StderrTail, 3)))
			label += " *"
			planArgs = "harden plan -profile " + path
		} else {
			rows = append(rows, row{What: "  apply of " + g.name + ", wall", N: 1, S: wallsMS(applied), Unit: "ms"})
		}
		runs := measureOn(t, m, growRuns, "", planArgs)
		rows = append(rows,
			row{What: label, N: growRuns, S: wallsMS(runs), Unit: "ms", Target: targetPlanMS},
			row{What: "  peak RSS (rusage), " + g.name, N: growRuns, S: rssMB(runs, false), Unit: "MB", Target: targetPlanRSSMB})
	}

	// apt alone, as a check of the log split: purge and reinstall from the cache.
	m.MustShell("DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq haproxy >/dev/null")
	apt := measureOn(t, m, 1, "", "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold haproxy")
	rows = append(rows, row{What: "apt-get install haproxy alone (from cache)", N: 1, S: wallsMS(apt), Unit: "ms"})

	report := "harden on the booted " + rel.String() + " VPS (systemd-nspawn), profile iri-public-node\n\n" +
		table(rows) + "\n" + execs + "\n" + slowest + "\n" + strings.Join(failures, "\n")
	t.Log("\n" + report)
	fmt.Print(report)
}

// measureOn runs cmdline under the measure tool inside the machine n times
// and fails unless every run exits with one of ok (default 0; for plan
// -detailed-exitcode, 0 means the machine is converged).
func measureOn(t *testing.T, m *vps.Machine, n int, stderrFile, cmdline string, ok ...int) []run {
	t.Helper()
	args := []string{"/usr/local/bin/measure", "-n", strconv.Itoa(n)}
	if stderrFile != "" {
		args = append(args, "-stderr", stderrFile)
	}
	args = append(append(args, "--"), strings.Fields(cmdline)...)
	r := m.Exec(args...)
	m.Expect(r)
	runs, err := parseRuns(r.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != n {
		t.Fatalf("%s: %d runs measured, want %d\n%s", cmdline, len(runs), n, r)
	}
	if len(ok) == 0 {
		ok = []int{0}
	}
	for _, run := range runs {
		if !slices.Contains(ok, run.Exit) {
			t.Fatalf("%s exited %d:\n%s", cmdline, run.Exit, run.StderrTail)
		}
	}
	return runs
}

// aptWindow is how long apt-get ran during an apply, from the log: the
// "installing haproxy" line to the last line apt-get printed.
func aptWindow(t *testing.T, log string) float64 {
	t.Helper()
	var start, end time.Time
	for _, line := range strings.Split(log, "\n") {
		stamp, _, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		at, err := time.Parse("15:04:05.000", stamp)
		if err != nil {
			continue
		}
		switch {
		case strings.Contains(line, "installing haproxy"):
			start = at
		case !start.IsZero() && strings.Contains(line, `"cmd": "apt-get"`):
			end = at
		}
	}
	if start.IsZero() || end.IsZero() {
		t.Fatalf("no apt-get window in the first apply's log:\n%s", log)
	}
	return ms(end.Sub(start))
}

// serviceState is what shows whether a service was started, restarted or
// reloaded, and the live ruleset with its handles (a reload renumbers them).
func serviceState(t *testing.T, m *vps.Machine) string {
	t.Helper()
	var b strings.Builder
	for _, unit := range []string{"ssh.service", "haproxy.service", "nftables.service", "iri.service"} {
		show := m.MustShell("systemctl show " + unit + " -p MainPID -p ExecMainStartTimestampMonotonic -p NRestarts -p ActiveState").Stdout
		reloads := m.MustShell("journalctl -u " + unit + " -o cat --no-pager | grep -cE '^(Reloading|Reloaded|Starting|Stopping)' || true").Stdout
		fmt.Fprintf(&b, "%s %s journal start/stop/reload lines: %s", unit, strings.ReplaceAll(show, "\n", " "), reloads)
	}
	b.WriteString("ruleset " + m.MustShell("nft -a list ruleset | sha256sum").Stdout)
	return b.String()
}

// execCalls runs one plan at debug level and counts the commands it ran.
func execCalls(t *testing.T, m *vps.Machine, cmdline string) string {
	t.Helper()
	r := m.Exec("/bin/sh", "-c", cmdline+" 2>&1 >/dev/null")
	m.Expect(r)
	counts := map[string]int{}
	cmds := map[string][]string{}
	total := 0
	for _, line := range strings.Split(r.Stdout, "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) < 4 || fields[2] != "exec" {
			continue
		}
		total++
		counts[fields[3]]++
		var e struct {
			Cmd  string   `json:"cmd"`
			Args []string `json:"args"`
		}
		if err := json.Unmarshal([]byte(fields[3]), &e); err == nil {
			cmds[fields[3]] = append([]string{e.Cmd}, e.Args...)
		}
	}
	if total == 0 {
		t.Fatalf("no exec lines in the debug log of %s:\n%s", cmdline, r.Stdout)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "exec calls in one converged plan: %d (count, median wall of one call alone over %d runs, command)\n", total, growRuns)
	for _, k := range keys {
		alone := "?"
		if argv := cmds[k]; argv != nil {
			// Run as a plain argv (no shell), as harden does.
			r := m.Exec(append([]string{"/usr/local/bin/measure", "-n", strconv.Itoa(growRuns), "--"}, argv...)...)
			if runs, err := parseRuns(r.Stdout); err == nil && r.OK() && len(runs) > 0 {
				alone = fmt.Sprintf("%.1f ms", wallsMS(runs).Median)
			}
		}
		fmt.Fprintf(&b, "  %3d  %9s  %s\n", counts[k], alone, k)
	}
	return b.String()
}

// lastLines keeps the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// slowSteps lists the n longest gaps between consecutive lines of a log
// (outside apt-get's own output), each with the line that ended it: where
// a run spends its time.
func slowSteps(log string, n int) string {
	type gap struct {
		d    time.Duration
		line string
	}
	var gaps []gap
	var prev time.Time
	for _, line := range strings.Split(log, "\n") {
		stamp, _, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		at, err := time.Parse("15:04:05.000", stamp)
		if err != nil {
			continue
		}
		if !prev.IsZero() && !strings.Contains(line, `"cmd": "apt-get"`) {
			if len(line) > 140 {
				line = line[:140] + "..."
			}
			gaps = append(gaps, gap{at.Sub(prev), line})
		}
		prev = at
	}
	sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].d > gaps[j].d })
	if len(gaps) > n {
		gaps = gaps[:n]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "slowest steps of the first apply (time before the log line, apt-get output excluded):\n")
	for _, g := range gaps {
		fmt.Fprintf(&b, "  %6d ms  %s\n", g.d.Milliseconds(), g.line)
	}
	return b.String()
}
