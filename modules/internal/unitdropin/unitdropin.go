// Package unitdropin renders and reads the systemd drop-ins harden owns
// (/etc/systemd/system/<unit>.d/harden-*.conf) with go-systemd's unit
// package, so quoting and line rules are systemd's, not ours.
package unitdropin

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"

	"github.com/coreos/go-systemd/v22/unit"

	"harden/modules/internal/hclattr"
	"harden/modules/module"
)

// Path is where a drop-in named name (without ".conf") for unitName lives.
func Path(unitName, name string) string {
	return path.Join("/etc/systemd/system", unitName+".d", name+".conf")
}

// Render serializes options under a header comment naming their owner.
func Render(owner string, opts []*unit.UnitOption) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Managed by harden (%s). Local changes are overwritten by the next apply.\n", owner)
	body, _ := io.ReadAll(unit.Serialize(opts)) // reading from memory cannot fail
	b.Write(body)
	if !bytes.HasSuffix(body, []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Parse reads a drop-in's options.
func Parse(data []byte) ([]*unit.UnitOption, error) {
	return unit.DeserializeOptions(bytes.NewReader(data))
}

// Value returns the last value of section/name (systemd's "last one wins"
// for single-valued settings), and whether it was set.
func Value(opts []*unit.UnitOption, section, name string) (string, bool) {
	val, ok := "", false
	for _, o := range opts {
		if o.Section == section && o.Name == name {
			val, ok = o.Value, true
		}
	}
	return val, ok
}

var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|timer|mount|path|slice|scope)$`)

// ValidUnitName reports whether s is a unit name with a known type suffix
// (a drop-in directory is named after it; a slash would escape /etc).
func ValidUnitName(s string) bool { return unitName.MatchString(s) && len(s) <= 255 }

// DecodeUnit reads a module block's `unit` (def when absent, "" for null:
// no unit) and `restart` attributes: a service name, and whether to
// restart it after a change, which needs a unit.
func DecodeUnit(d *hclattr.Decoder, def string) (unitName string, restart bool) {
	unitName = d.Optional("unit", def)
	if unitName != "" && !ValidUnitName(unitName) {
		d.Add(module.BadValue(d.Range("unit"), "unit", unitName, fmt.Sprintf("a systemd service name such as %q", def), nil))
	}
	restart = d.Bool("restart", false)
	if restart && unitName == "" {
		d.Error(d.Range("restart"), "Missing unit", "restart: there is no unit to restart (unit = null).")
	}
	return unitName, restart
}
