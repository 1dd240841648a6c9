package lockout

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Key is one line of an authorized_keys file as sshd reads it (sshd(8),
// AUTHORIZED_KEYS FILE FORMAT): the key, and the options that decide
// whether it gives a shell.
type Key struct {
	Line int    `json:"line"`
	Type string `json:"type,omitempty"` // "ssh-ed25519"...; "" when the line holds no key
	Bits int    `json:"bits,omitempty"` // an RSA key's modulus size
	// Refused says why sshd skips the line whoever connects ("" when it
	// reads it): a key it cannot decode, options it rejects.
	Refused string `json:"refused,omitempty"`
	// Forced: command="..." runs Command instead of whatever the client
	// asks for, a shell included.
	Forced  bool   `json:"forced,omitempty"`
	Command string `json:"command,omitempty"`
	// From is from="..."'s pattern list: the client's address must match.
	From string `json:"from,omitempty"`
	// Expires is expiry-time: sshd refuses the key after it.
	Expires time.Time `json:"expires,omitzero"`
	// NoPTY: restrict or no-pty (and no later pty). Commands still run,
	// `ssh HOST sudo harden confirm` included: only the terminal is missing.
	NoPTY bool `json:"no_pty,omitempty"`
	// CertAuthority: the line trusts certificates signed by this key; the
	// key itself does not log in.
	CertAuthority bool `json:"cert_authority,omitempty"`
}

// parseKeys reads every key line of an authorized_keys file. Expiry times
// without a zone are in loc, the machine's time zone, as sshd reads them.
func parseKeys(data []byte, loc *time.Location) []Key {
	var keys []Key
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		keys = append(keys, parseKey(i+1, line, loc))
	}
	return keys
}

func parseKey(n int, line string, loc *time.Location) Key {
	k := Key{Line: n}
	// One line at a time: ParseAuthorizedKey skips lines it cannot read.
	pub, _, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		k.Refused = fmt.Sprintf("is not a key sshd can read (%v)", readError(line, err))
		return k
	}
	k.Type = pub.Type()
	if c, ok := pub.(ssh.CryptoPublicKey); ok {
		if r, ok := c.CryptoPublicKey().(*rsa.PublicKey); ok {
			k.Bits = r.N.BitLen()
		}
	}
	// ParseAuthorizedKey decodes the blob after the first field whatever
	// that field says; sshd insists that it names the blob's key type.
	if declared := declaredType(line, pub); declared != pub.Type() {
		k.Refused = fmt.Sprintf("says %s but holds an %s key", declared, pub.Type())
		return k
	}
	if err := k.applyOptions(options, loc); err != nil {
		k.Refused = fmt.Sprintf("has options sshd refuses (%v)", err)
	}
	return k
}

// readError says why a line holds no key. ParseAuthorizedKey's own error
// is that of its last attempt, often the comment read as a key; for a line
// that starts with a key type, the blob after it tells the real story.
func readError(line string, err error) error {
	f := strings.Fields(line)
	if len(f) >= 2 && !strings.ContainsAny(f[0], `="`) &&
		(strings.HasPrefix(f[0], "ssh-") || strings.HasPrefix(f[0], "ecdsa-") || strings.HasPrefix(f[0], "sk-")) {
		blob, derr := base64.StdEncoding.DecodeString(f[1])
		if derr != nil {
			return derr
		}
		if _, perr := ssh.ParsePublicKey(blob); perr != nil {
			return perr
		}
	}
	if cause := errors.Unwrap(err); cause != nil {
		return cause
	}
	return err
}

// timeLayout shows expiry times.
const timeLayout = "2006-01-02 15:04 MST"

// problem says why the key gives the operator no shell now, or "".
func (k Key) problem(f Facts, p Policy) string {
	switch {
	case k.Refused != "":
		return k.Refused
	case k.CertAuthority:
		return "is a certificate authority (cert-authority): it admits the certificates it signed, " +
			"and the guard cannot tell that you hold one"
	case k.Forced:
		return fmt.Sprintf("runs only the forced command %q (command=): no shell", k.Command)
	case !k.Expires.IsZero() && k.Expires.Before(f.Now):
		return fmt.Sprintf("expired on %s (expiry-time)", k.Expires.Format(timeLayout))
	case k.From != "" && f.Client.IsValid() && !hostAdmits(k.From, f.Client):
		return fmt.Sprintf("admits only from=%q, and you connect from %s", k.From, f.Client)
	case !keyAccepted(k.Type, p.PubkeyAcceptedAlgorithms):
		return fmt.Sprintf("is %s, which PubkeyAcceptedAlgorithms refuses", k.Type)
	case k.Bits > 0 && k.Bits < p.requiredRSASize():
		return fmt.Sprintf("is a %d-bit RSA key; sshd requires %d bits (RequiredRSASize)", k.Bits, p.requiredRSASize())
	}
	return ""
}

// describe names a usable key and what limits it: no pty (run commands
// as `ssh HOST sudo harden confirm`), a from= the guard could not check,
// an expiry.
func (k Key) describe(f Facts) string {
	parts := []string{k.Type}
	if k.NoPTY {
		parts = append(parts, "no pty")
	}
	if k.From != "" && !f.Client.IsValid() {
		parts = append(parts, fmt.Sprintf("only from=%q", k.From))
	}
	if !k.Expires.IsZero() {
		parts = append(parts, "expires "+k.Expires.Format(timeLayout))
	}
	return strings.Join(parts, ", ")
}

func (p Policy) requiredRSASize() int {
	if p.RequiredRSASize > 0 {
		return p.RequiredRSASize
	}
	return 1024
}

// keyAccepted reports whether a key of this type can sign with one of the
// accepted algorithms (an ssh-rsa key signs with rsa-sha2-256/512).
func keyAccepted(keyType string, accepted []string) bool {
	if len(accepted) == 0 {
		return true // unknown: sshd's defaults accept every current key type
	}
	algs := []string{keyType}
	if keyType == "ssh-rsa" {
		algs = append(algs, "rsa-sha2-256", "rsa-sha2-512")
	}
	return slices.ContainsFunc(algs, func(a string) bool { return slices.Contains(accepted, a) })
}

// declaredType is the field before the key's base64 blob: its type name.
func declaredType(line string, pub ssh.PublicKey) string {
	blob := base64.StdEncoding.EncodeToString(pub.Marshal())
	fields := strings.Fields(line)
	for i := 1; i < len(fields); i++ {
		if fields[i] == blob {
			return fields[i-1]
		}
	}
	return pub.Type() // a blob not in canonical base64: nothing to compare
}

// flagOptions are the options without a value; the negatable ones also
// take a "no-" prefix.
var flagOptions = map[string]bool{ // name → negatable
	"restrict": false, "cert-authority": false, "port-forwarding": true, "agent-forwarding": true,
	"x11-forwarding": true, "touch-required": true, "verify-required": true, "pty": true, "user-rc": true,
}

// applyOptions applies the options as sshd's sshauthopt_parse does: any
// unknown or malformed option makes sshd skip the whole line.
func (k *Key) applyOptions(options []string, loc *time.Location) error {
	pty := true
	for _, opt := range options {
		name, value, hasValue := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		if !hasValue {
			flag, negated := name, false
			if base, ok := strings.CutPrefix(name, "no-"); ok && flagOptions[base] {
				flag, negated = base, true
			}
			if _, known := flagOptions[flag]; !known {
				return fmt.Errorf("%s: unknown key option", opt)
			}
			pty = ptyAfter(pty, flag, negated)
			k.CertAuthority = k.CertAuthority || flag == "cert-authority"
			continue
		}
		text, err := dequote(value)
		if err == nil {
			err = k.applyValue(name, text, loc)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", opt, err)
		}
	}
	k.NoPTY = !pty
	return nil
}

// ptyAfter is whether a pty is permitted after one flag option: restrict
// takes it away, pty gives it back, no-pty takes it.
func ptyAfter(pty bool, flag string, negated bool) bool {
	switch flag {
	case "restrict":
		return false
	case "pty":
		return !negated
	}
	return pty
}

func (k *Key) applyValue(name, text string, loc *time.Location) error {
	switch name {
	case "command":
		if k.Forced {
			return errors.New(`multiple "command" clauses`)
		}
		k.Forced, k.Command = true, text
	case "from":
		if k.From != "" {
			return errors.New(`multiple "from" clauses`)
		}
		if err := checkPatternList(text); err != nil {
			return fmt.Errorf("not a valid pattern list: %w", err)
		}
		k.From = text
	case "expiry-time":
		t, ok := parseExpiry(text, loc)
		if !ok {
			return errors.New("invalid expires time")
		}
		if k.Expires.IsZero() || t.Before(k.Expires) {
			k.Expires = t // several: the earliest wins
		}
	case "environment":
		if env, _, ok := strings.Cut(text, "="); !ok || !validEnvName(env) {
			return errors.New("invalid environment string")
		}
	case "permitopen", "permitlisten":
		if !validPermit(text, name == "permitlisten") {
			return errors.New("invalid permission")
		}
	case "tunnel":
		if !validTunnel(text) {
			return errors.New("invalid tun device")
		}
	case "principals":
		// Only read on cert-authority lines, which never count.
	default:
		return errors.New("unknown key option")
	}
	return nil
}

// dequote reads a double-quoted option value; \" stands for a quote.
func dequote(v string) (string, error) {
	if !strings.HasPrefix(v, `"`) {
		return "", errors.New("missing start quote")
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v) && v[i+1] == '"':
			b.WriteByte('"')
			i++
		case v[i] == '"':
			if i != len(v)-1 {
				return "", errors.New("unknown key option") // text after the closing quote
			}
			return b.String(), nil
		default:
			b.WriteByte(v[i])
		}
	}
	return "", errors.New("missing end quote")
}

// parseExpiry reads expiry-time's YYYYMMDD[Z], YYYYMMDDHHMM[Z] or
// YYYYMMDDHHMMSS[Z] (Z or UTC: in UTC; otherwise in loc).
func parseExpiry(s string, loc *time.Location) (time.Time, bool) {
	upper := strings.ToUpper(s)
	switch {
	case len(s) > 1 && strings.HasSuffix(upper, "Z"):
		s, loc = s[:len(s)-1], time.UTC
	case len(s) > 3 && strings.HasSuffix(upper, "UTC"):
		s, loc = s[:len(s)-3], time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t, err == nil && t.Unix() > 0
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if c != '_' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validPermit checks permitopen's host:port (permitlisten also takes a
// bare port); a port is a number or "*".
func validPermit(v string, bareport bool) bool {
	if bareport && !strings.Contains(v, ":") {
		v = "*:" + v
	}
	var port string
	if rest, ok := strings.CutPrefix(v, "["); ok {
		_, p, found := strings.Cut(rest, "]:")
		if !found {
			return false
		}
		port = p
	} else if _, p, found := strings.Cut(v, ":"); found {
		port = p
	} else {
		return false
	}
	return port == "*" || validNumber(port, 65535)
}

// validTunnel: "any" or a tun device number.
func validTunnel(v string) bool {
	return strings.EqualFold(v, "any") || validNumber(v, 0x7fffffff-2)
}

func validNumber(s string, max int) bool {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		if n = n*10 + int(c-'0'); n > max {
			return false
		}
	}
	return s != ""
}
