package limits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// daemonjson.go: /etc/docker/daemon.json, the Docker daemon's own
// settings. harden sets one of them, default-ulimits' nofile: the
// open-files limit of every container that does not set its own. Every
// other setting stays as the operator wrote it, in its place.

// DaemonJSONPath is where dockerd reads its settings.
const DaemonJSONPath = "/etc/docker/daemon.json"

// daemonJSON is daemon.json's top-level object: its keys in file order
// with their values as written.
type daemonJSON struct {
	keys   []string
	values map[string]json.RawMessage
}

// Ulimit is one of Docker's ulimits, as daemon.json's default-ulimits and
// a container's hostconfig.json write it.
type Ulimit struct {
	Name string `json:"Name"`
	Hard int64  `json:"Hard"`
	Soft int64  `json:"Soft"`
}

// String is Docker's own notation, soft:hard.
func (u Ulimit) String() string { return fmt.Sprintf("%d:%d", u.Soft, u.Hard) }

// parseDaemonJSON reads daemon.json; a missing or blank file is an empty
// object. dockerd refuses to start on a file that is not one JSON object,
// so harden refuses to plan on it.
func parseDaemonJSON(data []byte) (daemonJSON, error) {
	d := daemonJSON{values: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return d, jsonError(data, dec, "not a JSON object", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return d, jsonError(data, dec, "", err)
		}
		key := tok.(string) // inside an object, Token gives a key or an error
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return d, jsonError(data, dec, "value of "+strconv.Quote(key), err)
		}
		if _, dup := d.values[key]; dup {
			return d, fmt.Errorf("%q is set twice", key)
		}
		d.keys = append(d.keys, key)
		d.values[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return d, jsonError(data, dec, "", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return d, jsonError(data, dec, "text after the closing }", nil)
	}
	return d, nil
}

// jsonError names the line where reading stopped.
func jsonError(data []byte, dec *json.Decoder, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the file ends inside the object")
	}
	line := 1 + bytes.Count(data[:min(int(dec.InputOffset()), len(data))], []byte("\n"))
	switch {
	case what != "" && err != nil:
		return fmt.Errorf("line %d: %s: %w", line, what, err)
	case err != nil:
		return fmt.Errorf("line %d: %w", line, err)
	}
	return fmt.Errorf("line %d: %s", line, what)
}

// nofile is default-ulimits' nofile entry (ok false when there is none).
func (d daemonJSON) nofile() (Ulimit, bool, error) {
	limits, err := d.ulimits()
	if err != nil {
		return Ulimit{}, false, err
	}
	u, ok := limits["nofile"]
	return u, ok, nil
}

func (d daemonJSON) ulimits() (map[string]Ulimit, error) {
	limits := map[string]Ulimit{}
	raw, ok := d.values["default-ulimits"]
	if !ok {
		return limits, nil
	}
	if err := json.Unmarshal(raw, &limits); err != nil {
		return nil, fmt.Errorf("default-ulimits: %w", err)
	}
	return limits, nil
}

// withNofile is d with default-ulimits' nofile set to n, soft and hard;
// the other default ulimits stay.
func (d daemonJSON) withNofile(n int64) (daemonJSON, error) {
	limits, err := d.ulimits()
	if err != nil {
		return d, err
	}
	limits["nofile"] = Ulimit{Name: "nofile", Hard: n, Soft: n}
	raw, err := json.Marshal(limits)
	if err != nil {
		return d, err
	}
	out := daemonJSON{keys: d.keys, values: map[string]json.RawMessage{}}
	for k, v := range d.values {
		out.values[k] = v
	}
	if _, ok := out.values["default-ulimits"]; !ok {
		out.keys = append(append([]string(nil), d.keys...), "default-ulimits")
	}
	out.values["default-ulimits"] = raw
	return out, nil
}

// boolean reads a true/false setting (false when absent or not a bool).
func (d daemonJSON) boolean(key string) bool {
	var b bool
	return json.Unmarshal(d.values[key], &b) == nil && b
}

// str reads a string setting ("" when absent or not a string).
func (d daemonJSON) str(key string) string {
	var s string
	if json.Unmarshal(d.values[key], &s) != nil {
		return ""
	}
	return s
}

// render writes the object back, one key a line in file order, each value
// indented as dockerd's documentation shows it.
func (d daemonJSON) render() []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range d.keys {
		if i > 0 {
			b.WriteString(",")
		}
		key, _ := json.Marshal(k)
		fmt.Fprintf(&b, "\n  %s: ", key)
		if err := json.Indent(&b, d.values[k], "  ", "  "); err != nil {
			b.Write(d.values[k]) // valid JSON by construction; kept as written
		}
	}
	if len(d.keys) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}
