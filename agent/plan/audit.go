package plan

import (
	"time"

	"harden/modules/module"
)

// Audit is what `harden audit` found: every module's findings against the
// benchmarks, read from the machine. Rendered in agent/render, versioned
// with the plan's FormatVersion.
type Audit struct {
	FormatVersion string        `json:"format_version"`
	Version       string        `json:"harden_version"`
	Profile       string        `json:"profile"`
	Root          string        `json:"root"`
	Modules       []AuditModule `json:"modules"`
	Summary       AuditSummary  `json:"summary"`
	// Elapsed is how long reading and judging the machine took.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// AuditModule is one module's findings, in the module's order.
type AuditModule struct {
	Name     string           `json:"name"`
	Findings []module.Finding `json:"findings"`
}

// AuditSummary counts findings by status.
type AuditSummary struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotApplicable int `json:"not_applicable"`
}

// NewAudit assembles an audit and counts its findings.
func NewAudit(version, profile, root string, mods []AuditModule) *Audit {
	a := &Audit{FormatVersion: FormatVersion, Version: version, Profile: profile, Root: root, Modules: mods}
	for _, m := range mods {
		for _, f := range m.Findings {
			switch f.Status {
			case module.Pass:
				a.Summary.Pass++
			case module.Fail:
				a.Summary.Fail++
			default:
				a.Summary.NotApplicable++
			}
		}
	}
	return a
}

// Failed reports whether any control failed.
func (a *Audit) Failed() bool { return a.Summary.Fail > 0 }
