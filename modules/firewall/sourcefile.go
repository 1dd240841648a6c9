package firewall

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strconv"

	"harden/modules/host"
)

// sourcefile.go: deny_sources_file, the denied sources kept in a file on
// the machine (a blocklist feed) rather than in the profile. A profile
// holding ten thousand addresses spends most of a plan in the HCL lexer;
// the same list as plain lines parses in a fraction of that.

// SourceFile is a list of addresses and prefixes read from the machine.
type SourceFile struct {
	Path string
	// Entries are the file's entries in file order, with their lines.
	Entries []SourceEntry
	// Prefixes are the entries sorted and merged (mergePrefixes).
	Prefixes []netip.Prefix
}

// SourceEntry is one entry of a SourceFile and the line it is on.
type SourceEntry struct {
	Prefix netip.Prefix
	Line   int
}

// maxSourceFile caps a deny file: the largest public blocklists are a few
// megabytes; a path to something bigger (or endless) is a mistake.
const maxSourceFile = 32 << 20

// readSourceFile reads and parses path through the host (under -root, the
// root's file). A missing file is an error: the profile names it, and a
// deny list that silently came out empty would let every source in. Only a
// regular file is read (a FIFO, a device or a directory is an error).
func readSourceFile(h *host.Host, attr, path string) (*SourceFile, error) {
	data, err := h.ReadFileLimit(path, maxSourceFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("firewall: %s: %s does not exist (the firewall block's %s names it): "+
			"create it, one address or CIDR prefix a line, or remove %s", attr, path, attr, attr)
	}
	if err != nil {
		return nil, fmt.Errorf("firewall: %s: %w", attr, err)
	}
	return parseSourceFile(path, data)
}

// parseSourceFile reads one address or CIDR prefix a line. Blank lines are
// skipped, anything after # or ; is a comment (FireHOL's and Spamhaus
// DROP's layouts: "1.10.16.0/20 ; SBL256894"), surrounding blanks and a
// CRLF ending are ignored. Bad entries are errors naming path:line; at most
// maxSourceDiags are listed, then how many more there are. The file is in
// memory already: cutting it into lines in place needs no bufio.Scanner
// and has no line-length limit.
func parseSourceFile(path string, data []byte) (*SourceFile, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	f := &SourceFile{Path: path, Entries: make([]SourceEntry, 0, bytes.Count(data, []byte{'\n'})+1)}
	var errs []error
	bad := 0
	for line := 1; len(data) > 0; line++ {
		var l []byte
		l, data, _ = bytes.Cut(data, []byte{'\n'})
		if i := bytes.IndexAny(l, "#;"); i >= 0 {
			l = l[:i]
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		e := string(l)
		p, problem := parseFileEntry(e)
		if problem == "" {
			f.Entries = append(f.Entries, SourceEntry{Prefix: p, Line: line})
			continue
		}
		if bad++; bad <= maxSourceDiags {
			errs = append(errs, fmt.Errorf("firewall: %s:%d: %q %s", path, line, e, problem))
		}
	}
	if bad > maxSourceDiags {
		errs = append(errs, fmt.Errorf("firewall: %s: %d more entries are not valid", path, bad-maxSourceDiags))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	ps := make([]netip.Prefix, len(f.Entries))
	for i, e := range f.Entries {
		ps[i] = e.Prefix
	}
	f.Prefixes = mergePrefixes(ps)
	return f, nil
}

// parseFileEntry reads one line's entry; problem says what is wrong with it.
func parseFileEntry(e string) (p netip.Prefix, problem string) {
	p, fault, want := checkSource(e)
	switch fault {
	case sourceNotAddress:
		return p, "is not an IPv4 or IPv6 address or CIDR prefix"
	case sourceMapped:
		return p, fmt.Sprintf("is an IPv4-mapped IPv6 address: write it as %s (IPv4 packets never carry a "+
			"mapped address)", formatPrefix(want))
	case sourceHostBits:
		return p, fmt.Sprintf("has host bits set: write the prefix as %s", want)
	}
	return p, ""
}

// withDenyFile is cfg with the file's entries joined to deny_sources.
func withDenyFile(cfg Config, f *SourceFile) Config {
	switch {
	case f == nil || len(f.Prefixes) == 0:
	case len(cfg.DenySources) == 0:
		cfg.DenySources = f.Prefixes
	default:
		all := make([]netip.Prefix, 0, len(cfg.DenySources)+len(f.Prefixes))
		cfg.DenySources = mergePrefixes(append(append(all, cfg.DenySources...), f.Prefixes...))
	}
	return cfg
}

// denyFileNotes say, for each deny set, how many of its elements came
// from the file (an element the profile lists as well counts for the file).
func denyFileNotes(t *Table, f *SourceFile) []string {
	if len(f.Prefixes) == 0 {
		return []string{fmt.Sprintf("deny_sources_file %s holds no entries", f.Path)}
	}
	var notes []string
	for _, s := range t.Sets {
		if s.Name != setName(setDeny, false) && s.Name != setName(setDeny, true) {
			continue
		}
		// Both sorted the same way: one walk.
		fromFile, j := 0, 0
		for _, e := range s.Elements {
			for j < len(f.Prefixes) && comparePrefix(f.Prefixes[j], e) < 0 {
				j++
			}
			if j < len(f.Prefixes) && f.Prefixes[j] == e {
				fromFile++
			}
		}
		notes = append(notes, fmt.Sprintf("%s: %s, %s from %s",
			s.Name, entries(len(s.Elements)), thousands(fromFile), f.Path))
	}
	return notes
}

// entries is a count of set elements in words: "1 entry", "10,000 entries".
func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return thousands(n) + " entries"
}

// thousands prints a count with a comma every three digits: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
