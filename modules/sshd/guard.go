package sshd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"harden/modules/host"
	"harden/modules/lockout"
)

// defaultAuthorizedKeys is sshd's AuthorizedKeysFile default.
var defaultAuthorizedKeys = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}

// guardFacts is what the lockout guard read: the would-be operators, and
// the settings the profile does not manage that decide who gets in.
type guardFacts struct {
	Facts lockout.Facts `json:"facts"`
	// Unmanaged holds sshd -T values for keywords the guard needs when the
	// profile leaves them alone (denyusers, pubkeyacceptedalgorithms...).
	Unmanaged map[string][]string `json:"unmanaged,omitempty"`
	Err       string              `json:"error,omitempty"`
	// Operator is who runs harden through sudo (SUDO_USER): they must
	// still get in, not only someone. "" offline and without sudo.
	Operator string `json:"operator,omitempty"`
}

// guardNeeded: only a profile that turns password or root login off can
// lock the operator out by itself.
func (m *Module) guardNeeded() bool { return m.DisablesPasswordLogin() || m.DisablesRootLogin() }

// readGuard gathers the lockout facts; dump is sshd -T's output (nil when
// it did not run: sshd's defaults then apply).
func readGuard(h *host.Host, dump map[string][]string) guardFacts {
	files := defaultAuthorizedKeys
	if v := dump["authorizedkeysfile"]; len(v) > 0 {
		files = strings.Fields(strings.Join(v, " "))
	}
	g := guardFacts{Unmanaged: map[string][]string{}}
	for _, k := range []string{"denyusers", "denygroups", "pubkeyacceptedalgorithms", "allowusers", "allowgroups",
		"pubkeyauthentication", "requiredrsasize"} {
		if v, ok := dump[k]; ok {
			g.Unmanaged[k] = strings.Fields(strings.Join(v, " "))
		}
	}
	facts, err := lockout.Read(h, files)
	if err != nil {
		g.Err = err.Error()
	}
	g.Facts = facts
	if !h.Offline() {
		g.Operator = h.Getenv("SUDO_USER")
	}
	return g
}

// policy is the sshd configuration in effect after the plan: the desired
// values where the profile manages a keyword, what sshd uses now elsewhere.
func (m *Module) policy(g guardFacts, want map[string][]string) lockout.Policy {
	final := func(key string) []string {
		if v, ok := want[key]; ok {
			return v
		}
		return g.Unmanaged[key]
	}
	var accepted []string // nil: unknown, sshd's defaults accept every current key type
	if v := final("pubkeyacceptedalgorithms"); len(v) > 0 {
		accepted = strings.Split(strings.Join(v, ","), ",")
	}
	root := "prohibit-password"
	if v := final("permitrootlogin"); len(v) == 1 {
		root = v[0]
	}
	rsaSize := 0 // sshd's default
	if v := final("requiredrsasize"); len(v) == 1 {
		rsaSize, _ = strconv.Atoi(v[0])
	}
	return lockout.Policy{
		PasswordLogin:            !m.DisablesPasswordLogin(),
		PermitRootLogin:          root,
		PubkeyOff:                slices.Equal(final("pubkeyauthentication"), []string{"no"}),
		RequiredRSASize:          rsaSize,
		AllowUsers:               final("allowusers"),
		AllowGroups:              final("allowgroups"),
		DenyUsers:                final("denyusers"),
		DenyGroups:               final("denygroups"),
		PubkeyAcceptedAlgorithms: accepted,
	}
}

// lockoutFix says how to keep a way in.
const lockoutFix = "put your public key in ~USER/.ssh/authorized_keys (mode 600, ~/.ssh 700; without a " +
	"command= or from= that shuts you out) of a user in the sudo group that the profile's allow_users/" +
	"allow_groups admit, then plan again"

// checkLockout refuses a plan after which nobody can log in with a key and
// become root, unless the profile explicitly accepts the risk. The reasons
// come one line per user, every reason of that user on its line.
func (m *Module) checkLockout(g guardFacts, want map[string][]string) (warning string, err error) {
	if g.Err != "" {
		return m.lockoutVerdict("cannot read the accounts to check that someone can still log in: "+g.Err, nil, "")
	}
	policy := m.policy(g, want)
	v := lockout.Check(g.Facts, policy)
	if v.OK && !policy.PasswordLogin {
		if problem, out := operatorShutOut(g.Operator, v); out {
			return m.lockoutVerdict(fmt.Sprintf("you run harden as %s (through sudo), and after this change %s could "+
				"not log in with a key and become root:\n    %s", g.Operator, g.Operator, problem), []string{problem}, lockoutFix)
		}
	}
	if v.OK {
		return "", nil
	}
	problems := []string{"no user with a login shell"}
	if len(v.Problems) > 0 {
		problems = v.Problems
	}
	return m.lockoutVerdict("after this change nobody could log in with a key and become root:\n    "+
		strings.Join(problems, "\n    "), problems, lockoutFix)
}

// operatorShutOut reports whether the operator, when known, is not among
// those the policy admits, with their reasons.
func operatorShutOut(operator string, v lockout.Verdict) (problem string, out bool) {
	if operator == "" || operator == "root" {
		return "", false
	}
	for _, a := range v.Admitted {
		if a.User == operator {
			return "", false
		}
	}
	for _, p := range v.Problems {
		if strings.HasPrefix(p, operator+": ") {
			return p, true
		}
	}
	return operator + ": no login shell", true
}

// lockoutVerdict refuses the plan, or with allow_lockout = true lets it
// through with a warning that says the guard was overridden.
func (m *Module) lockoutVerdict(reason string, problems []string, fix string) (string, error) {
	if m.allowLockout {
		if fix != "" {
			reason += "\nTo keep a way in: " + fix + "."
		}
		return "allow_lockout = true overrides the lockout guard: " + reason, nil
	}
	if fix != "" {
		return "", &refusal{problems: problems, fix: fix, err: fmt.Errorf("sshd: lockout guard: %s\nFix: %s; "+
			"or set allow_lockout = true in the sshd block to take the risk", reason, fix)}
	}
	return "", &refusal{problems: []string{reason}, err: fmt.Errorf("sshd: lockout guard: %s; set allow_lockout = "+
		"true in the sshd block to take the risk", reason)}
}

// refusal is the guard's refusal as data too, for a caller that reports it
// to a program (harden's -json): every user's reasons, and the fix.
type refusal struct {
	problems []string
	fix      string
	err      error
}

func (r *refusal) Error() string { return r.err.Error() }

// Refusal returns the reasons, one per user, and what would keep a way in.
func (r *refusal) Refusal() (problems []string, fix string) { return r.problems, r.fix }
