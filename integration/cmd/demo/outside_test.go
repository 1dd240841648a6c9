package main

import (
	"strings"
	"testing"
)

// A view that is not the hardened one is reported row by row and makes the
// demo fail: the exit code is the verdict of the checks, not of the run.
func TestReportFlagsWhatIsNotHardened(t *testing.T) {
	before := view{port22: "open", keyLogin: "works on port 22", password: "accepted", rootLogin: "accepted",
		apiDirect: "getNodeInfo 200", apiProxied: "unreachable", nodeUser: "root", nodeFiles: "1024"}
	hardened := view{port22: "closed", keyLogin: "works on port 2222", password: "refused", rootLogin: "refused",
		apiDirect: "unreachable", apiProxied: "getNodeInfo 200, addNeighbors 403", proxyOK: true,
		nodeUser: "iri", nodeFiles: "65535", filesConfigured: "65535"}

	var out strings.Builder
	if !report(&out, before, hardened) {
		t.Errorf("the hardened view is reported as not hardened:\n%s", out.String())
	}
	if strings.Contains(out.String(), "NOT HARDENED") {
		t.Errorf("a row of the hardened view is flagged:\n%s", out.String())
	}

	open := hardened
	open.password, open.apiDirect = "accepted", "getNodeInfo 200"
	out.Reset()
	if report(&out, before, open) {
		t.Errorf("a view with password login and the node's API open passes:\n%s", out.String())
	}
	for _, row := range []string{"password login as deploy", "node API, port 14265"} {
		if !strings.Contains(out.String(), "NOT HARDENED   "+row) {
			t.Errorf("row %q is not flagged:\n%s", row, out.String())
		}
	}
}
