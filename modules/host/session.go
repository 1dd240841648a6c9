package host

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// sessionEnv reads the process environment, and for SSH_CONNECTION falls
// back to harden's ancestors: `sudo` resets the environment by default, but
// the shell that ran sudo still carries the SSH session's variables, and
// the guards need to know which port the operator came in on.
func sessionEnv(key string) string {
	if v := os.Getenv(key); v != "" || key != "SSH_CONNECTION" {
		return v
	}
	pid := os.Getppid()
	for range 8 {
		if pid <= 1 {
			return ""
		}
		if v := environOf(pid, key); v != "" {
			return v
		}
		pid = parentOf(pid)
	}
	return ""
}

func environOf(pid int, key string) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return ""
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k == key {
			return v
		}
	}
	return ""
}

// parentOf reads a process's parent pid from /proc/PID/stat (the field
// after the command name, which may itself hold spaces and parentheses).
func parentOf(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
