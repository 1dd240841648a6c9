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

func TestIsPhaseSkipsPackageLines(t *testing.T) {
	for line, want := range map[string]bool{
		"I: Unpacking the base system...":                   true,
		"I: Resolving dependencies of required packages...": true,
		"I: Configuring libc-bin...":                        false,
		"I: Unpacking zlib1g:amd64...":                      false,
		"I: Retrieving sed 4.9-2":                           false,
	} {
		if got := isPhase(line); got != want {
			t.Errorf("isPhase(%q) = %v, want %v", line, got, want)
		}
	}
}
