package sshd

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"harden/modules/host"
)

// privsepDir is where sshd insists on finding its privilege separation
// directory, even for -t and -T. ssh.service creates it (RuntimeDirectory=)
// and systemd removes it when the service stops, so a socket-activated sshd
// nobody has connected to yet, a build machine checking an image, or a fresh
// container lack it.
const privsepDir = "/run/sshd"

// privsepScript gives sshd the directory in a private mount namespace: an
// empty tmpfs on /run seen by that one process, so nothing is created on the
// machine (nor, under -root, outside the image).
const privsepScript = `mount -t tmpfs -o mode=0755,size=64k tmpfs /run && mkdir -m 0755 ` + privsepDir + ` && exec "$@"`

// runSSHD runs sshd with args, in a namespace of its own when the machine
// has no privilege separation directory.
func (m *Module) runSSHD(ctx context.Context, h *host.Host, args ...string) ([]byte, error) {
	if _, err := os.Stat(privsepDir); err == nil {
		return h.Run(ctx, m.sshdBinary, args...)
	}
	argv := append([]string{"--mount", "--propagation", "private", "--", "sh", "-c", privsepScript, "sh", m.sshdBinary}, args...)
	return h.Run(ctx, "unshare", argv...)
}

// checkValidators is the plan's promise that apply can validate a
// candidate: under -root the machine's own sshd checks the image's config
// (an image's binaries are never run), so it must be installed here.
func (m *Module) checkValidators() error {
	tools := []string{m.sshdBinary, "ssh-keygen"}
	if _, err := os.Stat(privsepDir); err != nil {
		tools = append(tools, "unshare")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("sshd: validating the image's sshd_config needs %s on this machine "+
				"(apt-get install openssh-server): %w", tool, err)
		}
	}
	return nil
}
