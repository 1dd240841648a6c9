package accounts

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func reader(files map[string]string) ReadFunc {
	return func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
	}
}

func TestRead(t *testing.T) {
	db, err := Read(reader(map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n+::::::\n\niri:x:990:991::/var/lib/iri:/usr/sbin/nologin\n",
		"/etc/group":  "root:x:0:\niri:x:991:\n",
		"/etc/shadow": "root:*:1::::::\niri:!$y$hash:1::::::\nbob:$y$hash:1::::::\ncarol::1::::::\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := db.User("iri")
	if !ok || u != (User{Name: "iri", UID: 990, GID: 991, Home: "/var/lib/iri", Shell: "/usr/sbin/nologin"}) {
		t.Errorf("iri = %+v, %v", u, ok)
	}
	if db.GroupName(991) != "iri" || db.UserName(990) != "iri" || db.UserName(5) != "5" || db.GroupName(7) != "7" {
		t.Error("name lookups")
	}
	for name, want := range map[string][2]bool{"root": {true, true}, "iri": {true, true}, "bob": {false, true}, "carol": {false, true}, "dave": {false, false}} {
		locked, known := db.Locked(name)
		if locked != want[0] || known != want[1] {
			t.Errorf("Locked(%s) = %v, %v; want %v", name, locked, known, want)
		}
	}
}

func TestReadWithoutShadow(t *testing.T) {
	db, err := Read(reader(map[string]string{"/etc/passwd": "", "/etc/group": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if _, known := db.Locked("root"); known || db.Passwords != nil {
		t.Error("lock state known without a shadow file")
	}
}

func TestReadErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no passwd":     {"/etc/group": ""},
		"short entry":   {"/etc/passwd": "root:x:0:0\n", "/etc/group": ""},
		"bad uid":       {"/etc/passwd": "root:x:zero:0::/:/bin/sh\n", "/etc/group": ""},
		"bad group gid": {"/etc/passwd": "", "/etc/group": "root:x:y:\n"},
	} {
		if _, err := Read(reader(files)); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "no passwd" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v does not wrap ErrNotExist", name, err)
		} else if name == "bad uid" && !strings.Contains(err.Error(), `"root"`) {
			t.Errorf("%s: %v does not name the entry", name, err)
		}
	}
}
