package limits

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDaemonJSONKeepsTheOperatorsSettings(t *testing.T) {
	in := `{"log-driver":"journald","default-ulimits":{"core":{"Name":"core","Hard":0,"Soft":0},` +
		`"nofile":{"Name":"nofile","Hard":4096,"Soft":1024}},"live-restore":true,"log-opts":{"tag":"{{.Name}}"}}`
	d, err := parseDaemonJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	have, ok, err := d.nofile()
	if err != nil || !ok || have.String() != "1024:4096" {
		t.Fatalf("nofile %v %v %v", have, ok, err)
	}
	if !d.boolean("live-restore") || d.boolean("log-driver") || d.str("log-driver") != "journald" || d.str("data-root") != "" {
		t.Errorf("settings read wrong: live-restore %v, log-driver %q", d.boolean("live-restore"), d.str("log-driver"))
	}
	out, err := d.withNofile(65535)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "log-driver": "journald",
  "default-ulimits": {
    "core": {
      "Name": "core",
      "Hard": 0,
      "Soft": 0
    },
    "nofile": {
      "Name": "nofile",
      "Hard": 65535,
      "Soft": 65535
    }
  },
  "live-restore": true,
  "log-opts": {
    "tag": "{{.Name}}"
  }
}
`
	if got := string(out.render()); got != want {
		t.Errorf("rendered:\n%s\nwant:\n%s", got, want)
	}
	// The same settings as JSON, nofile aside; the input is untouched.
	var before, after map[string]any
	json.Unmarshal([]byte(in), &before)
	json.Unmarshal(out.render(), &after)
	before["default-ulimits"].(map[string]any)["nofile"] = map[string]any{"Name": "nofile", "Hard": 65535.0, "Soft": 65535.0}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("settings changed:\n%v\n%v", before, after)
	}
	if again, _, _ := d.nofile(); again.Soft != 1024 {
		t.Errorf("withNofile changed its input: %v", again)
	}
}

func TestDaemonJSONNewFile(t *testing.T) {
	for _, in := range []string{"", " \n", "{}"} {
		d, err := parseDaemonJSON([]byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if _, ok, _ := d.nofile(); ok {
			t.Errorf("%q: nofile found", in)
		}
		out, _ := d.withNofile(65535)
		want := "{\n  \"default-ulimits\": {\n    \"nofile\": {\n      \"Name\": \"nofile\",\n      \"Hard\": 65535,\n      \"Soft\": 65535\n    }\n  }\n}\n"
		if got := string(out.render()); got != want {
			t.Errorf("%q rendered:\n%s", in, got)
		}
	}
	if got := string(daemonJSON{}.render()); got != "{}\n" {
		t.Errorf("empty object rendered %q", got)
	}
}

func TestDaemonJSONRefusesWhatDockerdRefuses(t *testing.T) {
	tests := []struct{ in, err string }{
		{"[1]", "line 1: not a JSON object"},
		{"{\n  \"debug\": true,\n  \"debug\": false\n}", `"debug" is set twice`},
		{"{\n  \"debug\": true\n}\n{}", "line 4: text after the closing }"},
		{"{\n  \"debug\": tru\n}", "line 2: value of \"debug\""},
		{"{\n  \"debug\": true,\n", "the file ends inside the object"},
		{`{"default-ulimits": {"nofile": 5}}`, "default-ulimits: json: cannot unmarshal number"},
		{`{"default-ulimits": []}`, "default-ulimits: json: cannot unmarshal array"},
	}
	for _, tt := range tests {
		d, err := parseDaemonJSON([]byte(tt.in))
		if err == nil {
			_, _, err = d.nofile()
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: error %v, want one with %q", tt.in, err, tt.err)
		}
	}
}
