package vps

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// HostState is what the suite must leave on the host exactly as it found
// it: the nftables ruleset, and who listens on the ports the machines serve.
// Other ports are not compared: other programs on a shared host come and go,
// and a machine cannot bind a host port anyway (Boot checks it has its own
// network namespace).
type HostState struct {
	Ruleset   string
	Listening []string
}

// SnapshotHost records the host's state for the given TCP ports.
func SnapshotHost(ports ...int) (HostState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := run(ctx, nil, "nft", "list", "ruleset")
	if err != nil {
		return HostState{}, err
	}
	listening, err := listeningTCP(ports)
	if err != nil {
		return HostState{}, err
	}
	return HostState{Ruleset: string(out), Listening: listening}, nil
}

// Diff describes how the host changed since s ("" if it did not).
func (s HostState) Diff(now HostState) string {
	var b strings.Builder
	if s.Ruleset != now.Ruleset {
		fmt.Fprintf(&b, "host nftables ruleset changed:\n--- before\n%s\n--- after\n%s\n", s.Ruleset, now.Ruleset)
	}
	before := map[string]bool{}
	for _, l := range s.Listening {
		before[l] = true
	}
	for _, l := range now.Listening {
		if !before[l] {
			fmt.Fprintf(&b, "new listening socket on the host: %s\n", l)
		}
	}
	return b.String()
}

// LeftOvers lists machine directories, host veth ends and machine cgroups
// the suite left. Another test binary may be running a machine right now:
// only what belongs to a slot whose lock is free is a leftover.
func LeftOvers() []string {
	var left []string
	dirs, _ := filepath.Glob(filepath.Join(machinesDir(), "harden*-*"))
	for _, d := range dirs {
		slotName, _, _ := strings.Cut(filepath.Base(d), "-")
		if slotFree(strings.TrimPrefix(slotName, "harden")) {
			left = append(left, d)
		}
	}
	links, _ := filepath.Glob("/sys/class/net/ve-harden*")
	for _, l := range links {
		if slotFree(strings.TrimPrefix(filepath.Base(l), "ve-harden")) {
			left = append(left, "link "+filepath.Base(l))
		}
	}
	parents, _ := ownCgroups()
	prefix := cgroupName(machinePrefix)
	for _, p := range parents {
		groups, _ := filepath.Glob(filepath.Join(p, prefix+"*"))
		for _, g := range groups {
			if slotFree(strings.TrimPrefix(filepath.Base(g), prefix)) {
				left = append(left, "cgroup "+g)
			}
		}
	}
	return left
}

// slotFree reports whether nobody holds machine slot n.
func slotFree(n string) bool {
	unlock, ok, err := tryLock(filepath.Join(CacheDir(), "slots", n+".lock"))
	if err == nil && ok {
		unlock()
		return true
	}
	return false
}

// listeningTCP reads the host namespace's listening TCP sockets on ports
// ("addr:port" as the kernel writes it, in hex).
func listeningTCP(ports []int) ([]string, error) {
	want := map[string]bool{}
	for _, p := range ports {
		want[fmt.Sprintf("%04X", p)] = true
	}
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// st 0A is LISTEN.
			if len(fields) > 3 && fields[3] == "0A" && want[fields[1][strings.LastIndex(fields[1], ":")+1:]] {
				out = append(out, filepath.Base(f)+" "+fields[1])
			}
		}
		fh.Close()
	}
	sort.Strings(out)
	return out, nil
}
