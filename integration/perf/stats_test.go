//go:build system

package perf

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// run is one line of the measure tool's output.
type run struct {
	WallNS     int64  `json:"wall_ns"`
	Exit       int    `json:"exit"`
	MaxRSSKB   int64  `json:"maxrss_kb"`
	OwnHWMKB   int64  `json:"own_hwm_kb"`
	StderrTail string `json:"stderr_tail"`
}

func parseRuns(out string) ([]run, error) {
	var runs []run
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r run
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("measure output %q: %w", line, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// spread is min, median and max of a series.
type spread struct{ Min, Median, Max float64 }

func spreadOf(xs []float64) spread {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return spread{}
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{s[0], med, s[len(s)-1]}
}

func wallsMS(runs []run) spread {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, float64(r.WallNS)/1e6)
	}
	return spreadOf(xs)
}

func rssMB(runs []run, own bool) spread {
	var xs []float64
	for _, r := range runs {
		kb := r.MaxRSSKB
		if own {
			kb = r.OwnHWMKB
		}
		xs = append(xs, float64(kb)/1024)
	}
	return spreadOf(xs)
}

// row is one line of the report: a figure, its unit, the target (0: none).
type row struct {
	What   string
	N      int
	S      spread
	Unit   string
	Target float64
}

// format lays the row out with its label padded to width.
func (r row) format(width int) string {
	ratio := "-"
	if r.Target > 0 {
		ratio = fmt.Sprintf("%.2f", r.S.Median/r.Target)
	}
	target := "-"
	if r.Target > 0 {
		target = fmt.Sprintf("< %g %s", r.Target, r.Unit)
	}
	return fmt.Sprintf("%-*s %3d %10.1f %10.1f %10.1f %-3s %12s %6s",
		width, r.What, r.N, r.S.Min, r.S.Median, r.S.Max, r.Unit, target, ratio)
}

func table(rows []row) string {
	width := len("figure")
	for _, r := range rows {
		width = max(width, len(r.What))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %3s %10s %10s %10s %-3s %12s %6s\n", width, "figure", "n", "min", "median", "max", "", "target", "ratio")
	for _, r := range rows {
		b.WriteString(r.format(width) + "\n")
	}
	return b.String()
}

func single(v float64) spread { return spread{v, v, v} }

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
