package vps

import (
	"reflect"
	"testing"
)

func TestUnitArgsEscapesDollars(t *testing.T) {
	got := unitArgs([]string{"/bin/sh", "-c", `echo "$HOME" ${USER} $$ a$b`, "$1"})
	want := []string{"/bin/sh", "-c", `echo "$$HOME" $${USER} $$$$ a$$b`, "$$1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unitArgs:\n got %q\nwant %q", got, want)
	}
	in := []string{"echo", "$x"}
	unitArgs(in)
	if in[1] != "$x" {
		t.Errorf("unitArgs changed its input: %q", in)
	}
}
