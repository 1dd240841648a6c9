package module

// Action is what a change does to the thing at its address.
type Action string

const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
)

// Plan is one module's proposal: data only, rendered elsewhere.
type Plan struct {
	Changes []Change `json:"changes"`
	// Warnings concern the module as a whole (a live value capped by the
	// environment, a setting the operator chose to leave weak).
	Warnings []string `json:"warnings,omitempty"`
	// Notes are neutral facts worth showing (foreign nftables tables, a
	// module planning from files only under -root).
	Notes []string `json:"notes,omitempty"`
	// Risks are what weakens the profile's promise on this machine but is
	// the operator's to change, not harden's (a Match block turning root
	// login back on for some connections). Every plan shows them and
	// `harden drift` reports them: they are drift that apply cannot fix.
	Risks []Risk `json:"risks,omitempty"`
}

// Risk is one such finding, addressed like a change.
type Risk struct {
	Address string `json:"address"`
	Message string `json:"message"`
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

// Change is one planned change to one addressable thing.
type Change struct {
	Module string `json:"module"`
	// Address names the thing: sshd.file[/etc/ssh/sshd_config],
	// sshd.setting[PasswordAuthentication], firewall.table[inet harden].
	Address string `json:"address"`
	Action  Action `json:"action"`
	// Fields lists setting-level differences, in a stable order.
	Fields []Field `json:"fields,omitempty"`
	// Before and After hold whole text (a file, a ruleset) when the thing is
	// text; the renderer shows a unified diff.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Effects are the side effects beyond the change itself:
	// "reload ssh.service", "enable nftables.service", "install haproxy".
	Effects  []string `json:"effects,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Data is the module's own payload for Apply (not rendered).
	Data any `json:"-"`
}

// Field is one setting's before and after. An empty Before with Unset means
// the setting was absent.
type Field struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Unset marks a side that has no value at all (not the empty string).
	BeforeUnset bool `json:"before_unset,omitempty"`
	AfterUnset  bool `json:"after_unset,omitempty"`
}
