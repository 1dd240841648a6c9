package vps

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Mirror returns the Debian mirror the host's apt already uses for suite, so
// the image is built from the same place the machine installs packages from
// (a private mirror on CI, a public one elsewhere). A host that lists only
// its own release (a Debian 12 host building a Debian 13 image) gets that
// release's mirror: one Debian archive serves every suite.
// HARDEN_TEST_MIRROR overrides it.
func Mirror(suite string) (string, error) {
	if m := os.Getenv("HARDEN_TEST_MIRROR"); m != "" {
		return m, nil
	}
	if uri := mirrorFor(suite); uri != "" {
		return uri, nil
	}
	if own := hostSuite(); own != "" && own != suite {
		if uri := mirrorFor(own); uri != "" {
			return uri, nil
		}
	}
	return "", fmt.Errorf("no apt source for suite %q on this host (set HARDEN_TEST_MIRROR)", suite)
}

// mirrorFor is the first URI the host's apt sources give for suite ("" if
// none does).
func mirrorFor(suite string) string {
	var files []string
	if m, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources"); m != nil {
		files = append(files, m...)
	}
	files = append(files, "/etc/apt/sources.list")
	if m, _ := filepath.Glob("/etc/apt/sources.list.d/*.list"); m != nil {
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		if strings.HasSuffix(f, ".sources") {
			uri = mirrorFromDeb822(data, suite)
		} else {
			uri = mirrorFromList(data, suite)
		}
		if uri != "" {
			return strings.TrimRight(uri, "/")
		}
	}
	return ""
}

// hostSuite is the host's own Debian codename ("" if unknown).
func hostSuite() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	return osReleaseField(data, "VERSION_CODENAME")
}

// osReleaseField reads one KEY=value of an os-release file, unquoted.
func osReleaseField(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// mirrorFromDeb822 finds the first "Types: deb" stanza listing suite and
// returns its first URI.
func mirrorFromDeb822(data []byte, suite string) string {
	for _, stanza := range bytes.Split(data, []byte("\n\n")) {
		fields := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(stanza))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
		if fields["enabled"] == "no" || !containsWord(fields["types"], "deb") {
			continue
		}
		if containsWord(fields["suites"], suite) {
			if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
				return uris[0]
			}
		}
	}
	return ""
}

// mirrorFromList reads one-line style sources: "deb [opts] URI suite comps".
func mirrorFromList(data []byte, suite string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) == 0 {
				continue
			}
			f = f[1:]
		}
		if len(f) >= 2 && f[1] == suite {
			return f[0]
		}
	}
	return ""
}

func containsWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}
