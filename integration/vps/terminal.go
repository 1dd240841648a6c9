package vps

import (
	"fmt"
	"strings"
)

// SudoTerminal is Sudo from an operator's terminal: ssh allocates a
// pseudo-terminal on the machine (ssh -tt) of cols columns, so the command
// writes what a person sees there (colour, lines wrapped to the width).
// The terminal's \r\n line ends come back as \n. A terminal has one
// output: the command's stderr (its logs) is kept apart and shown only
// when it fails.
func (m *Machine) SudoTerminal(cols int, cmd string) Result {
	remote := fmt.Sprintf("stty cols %d rows 50 2>/dev/null; sudo -n --preserve-env=SSH_CONNECTION %s 2>$HOME/.stderr; "+
		"rc=$?; [ $rc = 0 ] || cat $HOME/.stderr; exit $rc", cols, cmd)
	args := append(sshBase(m.Port), "-tt", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-i", m.h.Key.Private, DeployUser+"@"+m.Addr, remote)
	r := runResult(nil, fmt.Sprintf("ssh -tt -p %d %s@%s sudo %s", m.Port, DeployUser, m.Addr, cmd), "ssh", args...)
	r.Stdout = strings.ReplaceAll(r.Stdout, "\r\n", "\n")
	m.mu.Lock()
	m.history = append(m.history, r)
	m.mu.Unlock()
	return r
}
