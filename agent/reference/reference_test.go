package reference

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"harden/agent/registry"
)

var update = flag.Bool("update", false, "rewrite docs/profile.md")

// referenceFile is the checked-in reference.
const referenceFile = "../../docs/profile.md"

// The reference documents exactly the attributes every module's decoder
// takes, each with type, default and meaning, and the checked-in file is
// what the code generates now.
func TestReferenceMatchesTheCode(t *testing.T) {
	blocks, errs := Blocks(registry.Factories())
	for _, err := range errs {
		t.Error(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, blocks); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referenceFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatalf("%v (go test ./agent/reference -update writes it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s is stale: go test ./agent/reference -update rewrites it from the code", referenceFile)
	}
}
