package cli

import "testing"

func TestRollbackCommandKeepsTheRoot(t *testing.T) {
	for _, c := range []struct{ root, id, want string }{
		{"/", "", "harden rollback"},
		{"", "R1", "harden rollback R1"},
		{"/srv/image", "", "harden rollback -root /srv/image"},
		{"/srv/my image", "R1", "harden rollback -root '/srv/my image' R1"},
		{"/srv/it's", "", `harden rollback -root '/srv/it'\''s'`},
	} {
		if got := rollbackCommand(c.root, c.id); got != c.want {
			t.Errorf("rollbackCommand(%q, %q) = %s, want %s", c.root, c.id, got, c.want)
		}
	}
}
