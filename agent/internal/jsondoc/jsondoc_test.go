package jsondoc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type inner struct {
	Names []string `json:"names"`
	Opt   []int    `json:"opt,omitempty"`
}

type doc struct {
	List    []inner           `json:"list"`
	Nested  *inner            `json:"nested"`
	Values  map[string]string `json:"values"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Hidden  []string          `json:"-"`
	private []string
}

// Every list a script may iterate is an array: nil slices and maps at any
// depth come out as [] and {}, never null; omitempty lists stay omitted.
func TestWriteHasNoNullLists(t *testing.T) {
	var buf bytes.Buffer
	d := &doc{List: []inner{{}}, Nested: &inner{}}
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "null") {
		t.Errorf("null in %s", out)
	}
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if names := back["nested"].(map[string]any)["names"]; names == nil {
		t.Errorf("nested names missing: %s", out)
	}
	if _, ok := back["list"].([]any)[0].(map[string]any)["opt"]; ok {
		t.Errorf("an omitempty list appeared: %s", out)
	}
	if d.Hidden != nil || d.private != nil {
		t.Error("fields JSON leaves out were touched")
	}

	// A document passed by value gets the same treatment.
	buf.Reset()
	if err := Write(&buf, inner{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(buf.String()), " "); got != `{ "names": [] }` {
		t.Errorf("by value: %s", got)
	}
}
