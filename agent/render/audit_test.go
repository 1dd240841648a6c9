package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"harden/agent/plan"
	"harden/modules/module"
	"harden/modules/module/moduletest"
)

func sampleAudit() *plan.Audit {
	a := plan.NewAudit("1.0.0", "builtin:iri-node", "/", []plan.AuditModule{{Name: "sshd", Findings: []module.Finding{
		{Control: "sshd.max-auth-tries", Title: "MaxAuthTries 2 or less", Status: module.Fail, Found: "6", Managed: true,
			Refs: module.Refs(module.CIS, "5.1.16", module.DevSec, "sshd-19")},
		{Control: "sshd.etc-ssh", Title: "/etc/ssh owned by root, writable by root alone", Status: module.Pass,
			Found: "0755 0:0", Refs: module.Refs(module.DevSec, "sshd-04")},
		{Control: "sshd.listen-address", Title: "ListenAddress names an address", Status: module.NotApplicable,
			Refs: module.Refs(module.DevSec, "sshd-09"), Note: "not set: a VPS's address can change with its provider"},
	}}})
	a.Elapsed = 23456 * time.Microsecond
	return a
}

func TestAuditTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := (Options{}).Audit(&buf, sampleAudit()); err != nil {
		t.Fatal(err)
	}
	moduletest.Golden(t, "audit.txt", buf.Bytes())
	if !strings.Contains(buf.String(), "Audit: 1 pass, 1 fail, 1 not applicable, in 23.5ms.") {
		t.Errorf("no summary:\n%s", buf.String())
	}
}

func TestAuditColour(t *testing.T) {
	var buf bytes.Buffer
	if err := (Options{Color: true}).Audit(&buf, sampleAudit()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), red+"FAIL"+reset) || !strings.Contains(buf.String(), green+"pass"+reset) {
		t.Errorf("statuses not coloured:\n%q", buf.String())
	}
}
