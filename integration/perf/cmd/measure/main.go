// Command measure runs a command N times inside the machine under test and
// prints, per run, one JSON line: wall time, exit code, the peak resident
// set of the command or of any child it waited for (wait4's rusage, which
// the kernel reports as the larger of the two), and the peak resident set
// of the command's own process as last sampled from /proc/PID/status
// (VmHWM; a lower bound of its own peak, children excluded).
//
//	measure -n 20 -- harden plan -profile iri-public-node
//
// Timing inside the machine keeps ssh and sudo out of the figures.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Run is one measured run.
type Run struct {
	WallNS     int64  `json:"wall_ns"`
	Exit       int    `json:"exit"`
	MaxRSSKB   int64  `json:"maxrss_kb"`   // wait4 rusage: the command or a child, whichever peaked higher
	OwnHWMKB   int64  `json:"own_hwm_kb"`  // VmHWM of the command's own process, last sample
	StderrTail string `json:"stderr_tail"` // on a failed run only
}

func main() {
	n := flag.Int("n", 1, "number of runs")
	sample := flag.Duration("sample", 2*time.Millisecond, "VmHWM sampling period")
	stderrFile := flag.String("stderr", "", "also write the last run's standard error to `FILE` (its log)")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-n N] -- CMD [ARGS...]")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < *n; i++ {
		r, log, err := once(args, *sample)
		if err != nil {
			fmt.Fprintf(os.Stderr, "measure: %v\n", err)
			os.Exit(1)
		}
		enc.Encode(r)
		if *stderrFile != "" {
			if err := os.WriteFile(*stderrFile, log, 0o600); err != nil {
				fmt.Fprintf(os.Stderr, "measure: %v\n", err)
				os.Exit(1)
			}
		}
	}
}

func once(args []string, sample time.Duration) (Run, []byte, error) {
	cmd := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stdout = nil // discarded: a plan's text is not what is measured
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Run{}, nil, err
	}
	var hwm atomic.Int64
	done := make(chan struct{})
	go func() {
		path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
		t := time.NewTicker(sample)
		defer t.Stop()
		for {
			if kb := vmHWM(path); kb > hwm.Load() {
				hwm.Store(kb)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	r := Run{WallNS: wall.Nanoseconds(), OwnHWMKB: hwm.Load()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKB = ru.Maxrss
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			r.Exit = ee.ExitCode()
		} else {
			return Run{}, nil, err
		}
	}
	if r.Exit != 0 {
		r.StderrTail = lastBytes(stderr.String(), 4096)
	}
	return r, stderr.Bytes(), nil
}

// vmHWM reads the VmHWM line (kB) of a status file, 0 if it is gone.
func vmHWM(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// lastBytes keeps the end of s.
func lastBytes(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
