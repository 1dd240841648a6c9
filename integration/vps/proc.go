package vps

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// containerInit finds the machine's PID 1 on the host: a descendant of
// systemd-nspawn whose pid inside its namespace is 1, one pid namespace
// below this process's (a container Docker runs inside the machine is one
// more level down, and also below systemd-nspawn).
func containerInit(nspawnPid int) int {
	levels := len(nsPids("self"))
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		var ppid int
		var nspid []string
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				nspid = strings.Fields(v)
			}
		}
		if len(nspid) != levels+1 || nspid[len(nspid)-1] != "1" {
			continue
		}
		for p, depth := ppid, 0; p > 1 && depth < 4; depth++ {
			if p == nspawnPid {
				return pid
			}
			p = parentOf(p)
		}
	}
	return 0
}

func parentOf(pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			p, _ := strconv.Atoi(strings.TrimSpace(v))
			return p
		}
	}
	return 0
}

// inUse reports whether network N is taken on the host by something else.
func inUse(n int) bool {
	if _, err := net.InterfaceByName("ve-" + machineName(n)); err == nil {
		return true
	}
	_, subnet, _ := net.ParseCIDR(fmt.Sprintf("10.231.%d.0/24", n))
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && subnet.Contains(ipn.IP) {
			return true
		}
	}
	return false
}

// nsPids are the pids of process pid ("self" for this one) in each pid
// namespace it belongs to, outermost first.
func nsPids(pid string) []string {
	status, _ := os.ReadFile("/proc/" + pid + "/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return strings.Fields(v)
		}
	}
	return nil
}
