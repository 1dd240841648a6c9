package iota

import (
	"os"
	"testing"
)

// FuzzPlanYAML: whatever file the operator wrote, the plan either refuses
// it with an error or edits it so that the managed values read back as
// wanted and nothing else changed (Plan checks the rest itself), and a
// second plan on the result is empty.
func FuzzPlanYAML(f *testing.F) {
	template, _ := os.ReadFile("testdata/fullnode-template.yaml")
	for _, seed := range []string{
		string(template), "", "json-rpc-address: 0.0.0.0:9000 # x\n",
		"enable-grpc-api: true\ngrpc-api-config: {address: 0.0.0.0:50051, tls: null}\n",
		"policy-config:\n  client-id-source: socket-addr\n  dry-run: false\n",
		"policy-config: {client-id-source: {x-forwarded-for: 3}}\n",
		"metrics-address: '0.0.0.0:9184'\njson-rpc-address: \"[::]:9000\"\n",
	} {
		f.Add(seed)
	}
	m := &Module{}
	f.Fuzz(func(t *testing.T, yaml string) {
		if m.cfg.Path == "" {
			*m = *decode(t, "iota {}", true)
		}
		p, err := m.Plan(&State{Data: []byte(yaml)})
		if err != nil || len(p.Changes) == 0 {
			return
		}
		p2, err := m.Plan(&State{Data: []byte(p.Changes[0].After)})
		if err != nil || !p2.Empty() {
			t.Errorf("second plan on the edited file: %v %+v\nfrom %q\nedited %q", err, p2.Changes, yaml, p.Changes[0].After)
		}
	})
}
