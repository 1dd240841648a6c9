package firewall

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// priority.go: chain priorities as nft names them.

// stdPriorities are nft's named priorities, in the order nft tries them.
// dstnat is a name only on prerouting and output, srcnat only on
// postrouting and input.
var stdPriorities = []struct {
	name  string
	value int32
	hooks []string // nil: every hook
}{
	{"raw", -300, nil}, {"mangle", -150, nil}, {"dstnat", -100, []string{"prerouting", "output"}},
	{"filter", 0, nil}, {"security", 50, nil}, {"srcnat", 100, []string{"postrouting", "input"}},
}

// formatPriority prints a chain's priority as nft lists it: the first
// name the hook knows within 10 of the value, with the offset ("dstnat -
// 10"); the bare number when no name is that close.
func formatPriority(hook string, p int32) string {
	for _, std := range stdPriorities {
		if std.hooks != nil && !slices.Contains(std.hooks, hook) {
			continue
		}
		switch off := p - std.value; {
		case off == 0:
			return std.name
		case off > 0 && off <= 10:
			return fmt.Sprintf("%s + %d", std.name, off)
		case off < 0 && off >= -10:
			return fmt.Sprintf("%s - %d", std.name, -off)
		}
	}
	return strconv.Itoa(int(p))
}

// parsePriority reads what formatPriority prints (and any "NAME ± N").
func parsePriority(s string) (int32, error) {
	f := strings.Fields(s)
	for _, std := range stdPriorities {
		if len(f) == 0 || f[0] != std.name {
			continue
		}
		if len(f) == 1 {
			return std.value, nil
		}
		n, err := strconv.ParseInt(f[len(f)-1], 10, 32)
		if len(f) != 3 || err != nil || (f[1] != "+" && f[1] != "-") {
			return 0, fmt.Errorf("priority %q not modelled", s)
		}
		if f[1] == "-" {
			n = -n
		}
		return std.value + int32(n), nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), err
}
