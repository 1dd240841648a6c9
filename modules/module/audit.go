package module

import "strings"

// Auditor is implemented by modules that judge the machine against public
// benchmarks (CIS Debian Linux 12, dev-sec's ssh-baseline, ssh-audit) and
// harden's own controls, from what Read found. Like Plan it is pure; unlike
// Plan it judges the machine against the benchmark, not the profile: a
// profile that weakens a setting gets a failing finding. A module reports
// every control of its concern it knows, those it does not converge too
// (Managed false), so one run of `harden audit` covers the benchmarks'
// rows for that concern.
type Auditor interface {
	Audit(state State) []Finding
}

// Status is a finding's verdict.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	// NotApplicable: the control does not apply here (an offline image has
	// no running node), or harden departs from it on purpose; Note says why.
	NotApplicable Status = "n/a"
)

// Finding is one control judged.
type Finding struct {
	// Control is harden's name for it: "sshd.max-auth-tries".
	Control string `json:"control"`
	// Title says what passes: "MaxAuthTries 2 or less".
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Found is what the machine has ("6", "/etc/ssh/sshd_config 0644").
	Found string `json:"found,omitempty"`
	// Refs are the benchmark rows the control answers.
	Refs []Ref `json:"refs,omitempty"`
	// Managed: harden converges this control (apply makes it pass).
	Managed bool `json:"managed"`
	// Note explains a verdict: why it does not apply, or how harden's
	// control differs from a reference's.
	Note string `json:"note,omitempty"`
}

// Ref is one benchmark row.
type Ref struct {
	Benchmark string `json:"benchmark"`
	ID        string `json:"id"`
}

// The benchmarks findings refer to.
const (
	CIS      = "CIS Debian 12" // CIS Debian Linux 12 Benchmark v1.1.0
	DevSec   = "dev-sec"       // dev-sec/ssh-baseline
	SSHAudit = "ssh-audit"     // ssh-audit's hardening guides and built-in policies
	Harden   = "harden"        // harden's own, from the IRI node attacks (README)
)

func (r Ref) String() string { return r.Benchmark + " " + r.ID }

// Refs builds refs from "BENCHMARK ID" pairs: Refs(CIS, "5.1.16", DevSec,
// "sshd-19").
func Refs(pairs ...string) []Ref {
	out := make([]Ref, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Ref{Benchmark: pairs[i], ID: pairs[i+1]})
	}
	return out
}

// RefList is refs as one line, each benchmark named once: "CIS Debian 12
// 5.1.2, 5.1.3; dev-sec sshd-05".
func RefList(refs []Ref) string {
	var parts []string
	for i, r := range refs {
		switch {
		case i > 0 && refs[i-1].Benchmark == r.Benchmark:
			parts[len(parts)-1] += ", " + r.ID
		default:
			parts = append(parts, r.String())
		}
	}
	return strings.Join(parts, "; ")
}

// Verdict is Pass when ok, else Fail.
func Verdict(ok bool) Status {
	if ok {
		return Pass
	}
	return Fail
}
