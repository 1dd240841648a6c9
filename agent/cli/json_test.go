package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"harden/agent/access"
	"harden/agent/plan"
	"harden/agent/store"
)

// The JSON a tool driving harden reads (README, "JSON contract"): every
// document names its format_version, apply says which run waits for
// confirmation and until when, and the plan says where sshd will listen.
func TestApplyJSONCarriesVersionPortsAndPendingConfirm(t *testing.T) {
	p := plan.New("1.2.3", "builtin:iri-node", "/", nil)
	p.SSH = sshAfter([]int{22}, []int{2222})
	deadline := time.Date(2026, 12, 1, 10, 5, 0, 0, time.UTC)
	run := &store.Run{ID: "20261201-100000-ab12"}
	run.Result.Status = "applied"
	var out, errw bytes.Buffer
	code := jsonApplyView{IO{Out: &out, Err: &errw}}.result(newApplyResult("/", p, run, &access.Pending{Run: run.ID, Deadline: deadline}, nil), nil)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	var got struct {
		FormatVersion string `json:"format_version"`
		Status        string `json:"status"`
		Run           string `json:"run"`
		Plan          struct {
			FormatVersion string `json:"format_version"`
			SSH           struct {
				Ports     []int `json:"ports"`
				HeldPorts []int `json:"held_ports"`
			} `json:"ssh"`
		} `json:"plan"`
		Confirm struct {
			Run      string    `json:"run"`
			Deadline time.Time `json:"deadline"`
		} `json:"confirm"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("apply -json is not JSON: %v\n%s", err, out.String())
	}
	if got.FormatVersion != plan.FormatVersion || got.Plan.FormatVersion != plan.FormatVersion {
		t.Errorf("format_version %q (plan %q), want %q", got.FormatVersion, got.Plan.FormatVersion, plan.FormatVersion)
	}
	if got.Status != "applied" || got.Run != run.ID || got.Confirm.Run != run.ID || !got.Confirm.Deadline.Equal(deadline) {
		t.Errorf("status %q run %q confirm %+v", got.Status, got.Run, got.Confirm)
	}
	if !reflect.DeepEqual(got.Plan.SSH.Ports, []int{2222}) || !reflect.DeepEqual(got.Plan.SSH.HeldPorts, []int{22}) {
		t.Errorf("plan.ssh = %+v, want ports [2222] held [22]", got.Plan.SSH)
	}
}

// A plan whose profile leaves sshd's port alone has no ssh block, and an
// apply that needs no confirmation has no confirm block.
func TestApplyJSONOmitsWhatDoesNotApply(t *testing.T) {
	p := plan.New("1.2.3", "p", "/", nil)
	p.SSH = sshAfter(nil, nil)
	var out bytes.Buffer
	if code := (jsonApplyView{IO{Out: &out, Err: &bytes.Buffer{}}}).result(newApplyResult("/", p, nil, nil, nil), nil); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["confirm"]; ok {
		t.Errorf("confirm block without a pending confirmation:\n%s", out.String())
	}
	if _, ok := got["plan"].(map[string]any)["ssh"]; ok {
		t.Errorf("ssh block without a managed port:\n%s", out.String())
	}
	if got["status"] != "no-changes" || got["format_version"] != plan.FormatVersion {
		t.Errorf("status %v format_version %v", got["status"], got["format_version"])
	}
}

func TestConfirmJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  confirmResult
		err  error
		code int
		want map[string]any
	}{
		{"confirmed", confirmResult{Status: "confirmed", Run: "r1", ClosedPorts: []int{22}}, nil, ExitOK,
			map[string]any{"format_version": plan.FormatVersion, "status": "confirmed", "run": "r1", "closed_ports": []any{22.0}}},
		{"nothing pending", confirmResult{Status: "nothing-pending"}, nil, ExitOK,
			map[string]any{"format_version": plan.FormatVersion, "status": "nothing-pending"}},
		// Confirmed (nothing rolls back) but the old port stays open.
		{"second phase failed", confirmResult{Status: "confirmed", Run: "r1"}, errors.New("closing the old SSH port 22: boom"), ExitError,
			map[string]any{"format_version": plan.FormatVersion, "status": "confirmed", "run": "r1", "error": "closing the old SSH port 22: boom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			if code := finishConfirm(IO{Out: &out, Err: &errw}, true, tc.res, tc.err); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("confirm -json is not one JSON document: %v\n%s", err, out.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
			if tc.err != nil && !strings.Contains(errw.String(), tc.err.Error()) {
				t.Errorf("stderr does not say why: %q", errw.String())
			}
		})
	}
}

// With -json, stdout is the document alone: a step's text goes nowhere.
func TestTextOnlyKeepsJSONStdoutClean(t *testing.T) {
	var out bytes.Buffer
	io := IO{Out: &out}
	if textOnly(io, false).Out != &out {
		t.Error("text mode lost stdout")
	}
	if textOnly(io, true).Out == &out {
		t.Error("JSON mode lets step text onto stdout")
	}
}

// An apply that fails before it records a run changed nothing, but it did
// fail: a reader must not take "no-changes" from it.
func TestApplyJSONFailedBeforeARun(t *testing.T) {
	var out, errw bytes.Buffer
	failure := errors.New("create run: disk full")
	code := jsonApplyView{IO{Out: &out, Err: &errw}}.result(newApplyResult("/", plan.New("1.2.3", "p", "/", nil), nil, nil, failure), failure)
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("apply -json is not JSON: %v\n%s", err, out.String())
	}
	if code != ExitError || got["status"] != "failed" || got["error"] != "create run: disk full" {
		t.Errorf("exit %d, status %v, error %v; want exit 1, failed, the error", code, got["status"], got["error"])
	}
}
