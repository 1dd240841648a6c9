package cli

// Every verb's -json answers with a JSON document on stdout, also when it
// fails: the failure document below, unless the verb wrote its own (apply
// and confirm carry their error in their result). Errors and diagnostics
// are recorded here as they are printed on stderr, so no path of a verb
// can fail without the document.

import (
	"errors"
	"flag"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"harden/agent/internal/jsondoc"
	"harden/agent/plan"
)

// report is what one invocation has said so far.
type report struct {
	verb    string
	json    bool // -json was given
	noColor bool // -no-color was given
	wrote   bool // a JSON document went to stdout
	errors  []string
	diags   []diagnostic
	refusal *refusalJSON

	// The verb's flag set and help, for Describe.
	fs              *flag.FlagSet
	synopsis, about string
}

// parsed records the flags that shape every answer, once a verb's command
// line is parsed (also when parsing failed part way).
func (r *report) parsed(fs *flag.FlagSet) {
	if r == nil {
		return
	}
	r.verb, r.fs = fs.Name(), fs
	isSet := func(name string) bool { f := fs.Lookup(name); return f != nil && f.Value.String() == "true" }
	r.json, r.noColor = isSet("json"), isSet("no-color")
}

// described records a verb's help text.
func (r *report) described(synopsis, about string) {
	if r != nil {
		r.synopsis, r.about = synopsis, about
	}
}

// failed records an error the verb reported.
func (r *report) failed(err error) {
	if r == nil || err == nil {
		return
	}
	r.errors = append(r.errors, err.Error())
	var refused interface {
		Refusal() (problems []string, fix string)
	}
	if errors.As(err, &refused) {
		problems, fix := refused.Refusal()
		r.refusal = &refusalJSON{Problems: problems, Fix: fix}
	}
}

// diagnosed records profile diagnostics.
func (r *report) diagnosed(diags hcl.Diagnostics) {
	if r != nil {
		r.diags = append(r.diags, diagnosticsJSON(diags)...)
	}
}

// failureDoc is a failed verb's -json answer.
type failureDoc struct {
	FormatVersion string `json:"format_version"`
	Command       string `json:"command"`
	// Error is what went wrong, as on stderr (several errors: one a line).
	Error string `json:"error"`
	// Diagnostics are the profile's problems, with file, line and column.
	Diagnostics []diagnostic `json:"diagnostics"`
	// Lockout is set when the lockout guard refused the plan.
	Lockout *refusalJSON `json:"lockout,omitempty"`
}

// refusalJSON is the lockout guard's refusal: every user's reasons, and
// what would keep a way in.
type refusalJSON struct {
	Problems []string `json:"problems"`
	Fix      string   `json:"fix,omitempty"`
}

// finish writes the failure document when the invocation failed, -json
// was asked for, and the verb wrote no document of its own.
func (r *report) finish(io IO, code int) {
	if r == nil || !r.json || r.wrote || code == ExitOK || code == ExitChanges {
		return
	}
	msg := strings.Join(r.errors, "\n")
	if msg == "" {
		msg = "harden " + r.verb + " failed (stderr says why)"
	}
	emitJSON(io, failureDoc{FormatVersion: plan.FormatVersion, Command: r.verb, Error: msg,
		Diagnostics: r.diags, Lockout: r.refusal})
}

// emitJSON writes a verb's JSON document on stdout: indented, lists never
// null.
func emitJSON(io IO, v any) {
	_ = jsondoc.Write(io.Out, v)
	if io.rep != nil {
		io.rep.wrote = true
	}
}

// diagnostic is a profile diagnostic in Terraform's JSON shape.
type diagnostic struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *diagRange `json:"range,omitempty"`
}

type diagRange struct {
	Filename string  `json:"filename"`
	Start    diagPos `json:"start"`
	End      diagPos `json:"end"`
}

type diagPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func diagnosticsJSON(diags hcl.Diagnostics) []diagnostic {
	out := []diagnostic{}
	for _, d := range diags {
		j := diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			j.Range = &diagRange{Filename: s.Filename,
				Start: diagPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:   diagPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte}}
		}
		out = append(out, j)
	}
	return out
}
