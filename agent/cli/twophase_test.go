package cli

import (
	"strings"
	"testing"
)

// -no-confirm over SSH may not move sshd off the session's port; the
// refusal names the way that works.
func TestNoConfirmOverSSHNamesTheWayThatWorks(t *testing.T) {
	if err := unconfirmedMove(22, []int{22, 2222}); err != nil {
		t.Errorf("port 22 kept: %v", err)
	}
	if err := unconfirmedMove(22, nil); err != nil {
		t.Errorf("profile leaves the port alone: %v", err)
	}
	err := unconfirmedMove(22, []int{2222})
	for _, want := range []string{"off port 22", "Apply without -no-confirm", "`harden confirm` from a NEW SSH connection on port 2222"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v does not say %q", err, want)
		}
	}
}
