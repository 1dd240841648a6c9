package module

import (
	"strconv"
	"strings"
)

// Reference documents a module's profile block for harden's profile
// reference (docs/profile.md, generated). Which attributes exist is not
// taken from here but read from the module's own decoder; a test fails
// when the two disagree, so the reference cannot drift from the code.
type Reference struct {
	// Summary says what the block converges.
	Summary string
	// Control names the benchmark controls the block as a whole serves.
	Control string
	// Attributes in the order the reference lists them.
	Attributes []AttributeDoc
}

// AttributeDoc is one attribute of a block.
type AttributeDoc struct {
	Name string
	// Type is the HCL type: bool, number, string, list(string),
	// map(string), or "number or list(number)".
	Type string
	// Default is the value when the attribute is left out, as HCL, or a
	// phrase where it depends ("the installed OpenSSH's hardened set").
	Default string
	// Doc is what the attribute does, and what null does where that is
	// not "leave it unmanaged".
	Doc string
	// Control names the benchmark controls it serves (CIS Debian Linux 12,
	// dev-sec's ssh-baseline), where known.
	Control string
}

// Documented is implemented by every module: its block's reference.
type Documented interface {
	Reference() Reference
}

// Attr is an AttributeDoc with no benchmark control.
func Attr(name, typ, def, doc string) AttributeDoc {
	return AttributeDoc{Name: name, Type: typ, Default: def, Doc: doc}
}

// HCLList writes a list of strings as a profile would.
func HCLList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
