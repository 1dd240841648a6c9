package iota

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// doc is the node's YAML file: its bytes and the tree parsed from them.
// Edits change the bytes in place, one value at a time, so every other
// line, comment and quoting style of the operator's file stays as it was;
// the tree only says where a value is.
type doc struct {
	path string
	data []byte
	root *yaml.Node // the top-level mapping
}

// parseDoc reads one YAML document whose top level is a mapping, as
// iota-node (serde_yaml) requires.
func parseDoc(path string, data []byte) (*doc, error) {
	d := &doc{path: path, data: data}
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&n); {
	case errors.Is(err, io.EOF):
		// An empty file: nothing set, every value is the node's default.
		d.root = &yaml.Node{Kind: yaml.MappingNode}
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%s:%d: a second YAML document; iota-node reads a file of one document", path, extra.Line)
	}
	if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the top level is not a mapping of settings", path)
	}
	// The tree keeps both of a duplicate key, which iota-node refuses to
	// start with; decoding into a map says so, with the line.
	var settings map[string]any
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.root = n.Content[0]
	return d, nil
}

// lookup follows keys from the top-level mapping and returns the key and
// value nodes of the last one (nil, nil when a key is missing or a step is
// not a mapping).
func (d *doc) lookup(keys ...string) (key, value *yaml.Node) {
	m := d.root
	for i, k := range keys {
		key, value = child(m, k)
		if value == nil {
			return nil, nil
		}
		if i < len(keys)-1 {
			if value.Kind != yaml.MappingNode {
				return nil, nil
			}
			m = value
		}
	}
	return key, value
}

// child finds key k in mapping m (aliases resolved).
func child(m *yaml.Node, k string) (key, value *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			v := m.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return m.Content[i], v
		}
	}
	return nil, nil
}

// scalar is the value at keys if it is a scalar ("" and false otherwise).
func (d *doc) scalar(keys ...string) (string, bool) {
	_, v := d.lookup(keys...)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", false
	}
	return v.Value, true
}

// offset is the byte offset of a node's line and column (1-based; the
// column counts characters).
func (d *doc) offset(line, col int) (int, error) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(d.data[off:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("%s: line %d is past the end", d.path, line)
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		_, size := utf8.DecodeRune(d.data[off:])
		if size == 0 || d.data[off] == '\n' {
			return 0, fmt.Errorf("%s:%d: column %d is past the line's end", d.path, line, col)
		}
		off += size
	}
	return off, nil
}

// tokenEnd finds where the single-line value starting at data[start] ends:
// a quoted scalar at its closing quote, a flow collection at its closing
// bracket, a plain scalar before a comment, the line's end or (inside a
// flow collection) a separator. A value that goes on past its line is an
// error: the editor only replaces what fits on one line.
func tokenEnd(data []byte, start int, inFlow bool) (int, error) {
	line := data[start:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	switch {
	case len(line) == 0:
		return start, nil
	case line[0] == '"':
		for i := 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return start + i + 1, nil
			}
		}
	case line[0] == '\'':
		for i := 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return start + i + 1, nil
			}
		}
	case line[0] == '{' || line[0] == '[':
		depth, quote := 0, byte(0)
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				} else if c == '\\' && quote == '"' {
					i++
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				if depth--; depth == 0 {
					return start + i + 1, nil
				}
			}
		}
	default:
		end := len(line)
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			end = i
		}
		if inFlow {
			if i := bytes.IndexAny(line[:end], ",}]"); i >= 0 {
				end = i
			}
		}
		return start + len(bytes.TrimRight(line[:end], " \t")), nil
	}
	return 0, errors.New("the value goes on past its line")
}

// replaceValue puts text (one line of YAML) where value is.
func (d *doc) replaceValue(value *yaml.Node, inFlow bool, text string) error {
	if value.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || value.Anchor != "" {
		return fmt.Errorf("%s:%d: the value is a block scalar or has an anchor; edit it by hand", d.path, value.Line)
	}
	start, err := d.offset(value.Line, value.Column)
	if err != nil {
		return err
	}
	end := start
	if !(value.Kind == yaml.ScalarNode && value.Tag == "!!null" && value.Value == "") {
		if end, err = tokenEnd(d.data, start, inFlow); err != nil {
			return fmt.Errorf("%s:%d: %v; edit it by hand", d.path, value.Line, err)
		}
	} else if start > 0 && d.data[start-1] == ':' {
		text = " " + text // `key:` with no value: the column is the colon's end
	}
	d.data = append(d.data[:start:start], append([]byte(text), d.data[end:]...)...)
	return nil
}

// insertChild adds `key: text` as the first entry of the block mapping
// under parentKey, indented like its other entries.
func (d *doc) insertChild(parentKey, parent *yaml.Node, key, text string) error {
	if parent.Kind != yaml.MappingNode || parent.Style&yaml.FlowStyle != 0 || len(parent.Content) == 0 {
		return fmt.Errorf("%s:%d: %s is not a block mapping; edit it by hand", d.path, parentKey.Line, parentKey.Value)
	}
	first := parent.Content[0]
	lineStart, err := d.offset(first.Line, 1)
	if err != nil {
		return err
	}
	entry := strings.Repeat(" ", first.Column-1) + key + ": " + text + "\n"
	d.data = append(d.data[:lineStart:lineStart], append([]byte(entry), d.data[lineStart:]...)...)
	return nil
}

// appendTop adds a top-level entry (YAML text of one or more lines) at the
// end of the file.
func (d *doc) appendTop(entry string) error {
	if d.root.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s: the settings are one flow mapping ({...}); add %s by hand", d.path, strings.SplitN(entry, ":", 2)[0])
	}
	if len(d.data) > 0 && d.data[len(d.data)-1] != '\n' {
		d.data = append(d.data, '\n')
	}
	if len(d.root.Content) > 0 {
		// Indented like the top level's own keys.
		pad := strings.Repeat(" ", d.root.Content[0].Column-1)
		entry = pad + strings.ReplaceAll(strings.TrimSuffix(entry, "\n"), "\n", "\n"+pad) + "\n"
	}
	d.data = append(d.data, entry...)
	return nil
}

// sameExcept checks that after holds the same settings as before apart
// from the values at the given key paths: the in-place edits changed what
// they meant to and nothing else.
func sameExcept(before, after []byte, paths [][]string) error {
	var a, b map[string]any
	if err := yaml.Unmarshal(before, &a); err != nil {
		return err
	}
	if err := yaml.Unmarshal(after, &b); err != nil {
		return fmt.Errorf("the edited file does not parse: %w", err)
	}
	for _, p := range paths {
		drop(a, p)
		drop(b, p)
	}
	if !reflect.DeepEqual(a, b) {
		return errors.New("the edit changed other settings")
	}
	return nil
}

// drop deletes the value at path and any mapping the deletion leaves
// empty, so an added parent (policy-config, grpc-api-config) compares
// equal to its absence.
func drop(m map[string]any, path []string) {
	if len(path) == 0 {
		return
	}
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	next, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	drop(next, path[1:])
	if len(next) == 0 {
		delete(m, path[0])
	}
}
