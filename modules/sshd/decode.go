package sshd

import (
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"harden/modules/internal/netaddr"
	"harden/modules/internal/oneline"
	"harden/modules/module"
)

// Decode reads the profile's sshd block. See the package doc for the
// attributes; unknown ones are errors with hcl's own "did you mean".
func (m *Module) Decode(block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	schema := &hcl.BodySchema{}
	for _, s := range settings {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: s.attr})
	}
	for _, name := range moduleAttrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
	}
	content, diags := block.Body.Content(schema)
	m.want, m.ranges = defaults(), map[string]map[string]hcl.Range{}
	diags = append(diags, m.decodeModuleAttrs(content, ctx)...)
	for i := range settings {
		s := &settings[i]
		attr, ok := content.Attributes[s.attr]
		if !ok {
			continue
		}
		key := strings.ToLower(s.keyword)
		val, d := attr.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || !val.IsWhollyKnown() {
			continue
		}
		if val.IsNull() {
			delete(m.want, key)
			continue
		}
		vals, d := decodeValue(s, attr.Expr, val)
		diags = append(diags, d...)
		if !d.HasErrors() {
			m.want[key] = vals
			m.noteRanges(s, attr.Expr, val)
		}
	}
	return diags
}

// noteRanges keeps where each name of an algorithm list is written, so a
// plan that finds it unknown to the installed OpenSSH can point at it.
func (m *Module) noteRanges(s *setting, expr hcl.Expression, val cty.Value) {
	if s.kind != kindAlgos {
		return
	}
	key := strings.ToLower(s.keyword)
	m.ranges[key] = map[string]hcl.Range{}
	eachElement(s, expr, val, func(r hcl.Range, v cty.Value) {
		m.ranges[key][v.AsString()] = r
	})
}

func decodeValue(s *setting, expr hcl.Expression, val cty.Value) ([]string, hcl.Diagnostics) {
	rng := expr.Range()
	switch s.kind {
	case kindFlag:
		if val.Type() != cty.Bool {
			return nil, typeError(s, rng, "true or false", val)
		}
		return []string{yesNo(val.True())}, nil
	case kindNumber, kindSeconds:
		n, d := wholeNumber(s, rng, val)
		if d != nil {
			return nil, hcl.Diagnostics{d}
		}
		return []string{fmt.Sprint(n)}, nil
	case kindPorts:
		if val.Type() == cty.Number {
			n, d := wholeNumber(s, rng, val)
			if d != nil {
				return nil, hcl.Diagnostics{d}
			}
			return []string{fmt.Sprint(n)}, nil
		}
		var out []string
		var diags hcl.Diagnostics
		err := eachElement(s, expr, val, func(r hcl.Range, v cty.Value) {
			n, d := wholeNumber(s, r, v)
			if d == nil && contains(out, fmt.Sprint(n)) {
				d = &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + s.attr,
					Detail: fmt.Sprintf("%s: %d is listed twice.", s.attr, n), Subject: r.Ptr()}
			}
			if d != nil {
				diags = append(diags, d)
				return
			}
			out = append(out, fmt.Sprint(n))
		})
		if err != nil {
			return nil, typeError(s, rng, "a port number or a list of port numbers", val)
		}
		if len(out) == 0 && !diags.HasErrors() {
			diags = append(diags, emptyList(s, rng))
		}
		return out, diags
	case kindEnum:
		if s.boolAlias && val.Type() == cty.Bool {
			return []string{yesNo(val.True())}, nil
		}
		if val.Type() != cty.String {
			what := "a string"
			if s.boolAlias {
				what = "true, false or a string"
			}
			return nil, typeError(s, rng, what, val)
		}
		got := val.AsString()
		for _, v := range s.valid {
			if strings.EqualFold(v, got) {
				return []string{v}, nil
			}
		}
		return nil, hcl.Diagnostics{module.BadValue(rng, s.attr, got, "one of "+strings.Join(s.valid, ", "), s.valid)}
	case kindText:
		if val.Type() != cty.String {
			return nil, typeError(s, rng, "a string", val)
		}
		if d := checkText(s, rng, val.AsString()); d != nil {
			return nil, hcl.Diagnostics{d}
		}
		return []string{val.AsString()}, nil
	case kindNames, kindAlgos, kindFiles:
		var out []string
		var diags hcl.Diagnostics
		err := eachElement(s, expr, val, func(r hcl.Range, v cty.Value) {
			if v.Type() != cty.String {
				diags = append(diags, typeError(s, r, "a string", v)...)
				return
			}
			name := v.AsString()
			if d := checkListName(s, r, name, out); d != nil {
				diags = append(diags, d)
				return
			}
			out = append(out, name)
		})
		if err != nil {
			return nil, typeError(s, rng, "a list of strings", val)
		}
		if s.kind != kindNames && len(out) == 0 && !diags.HasErrors() {
			diags = append(diags, emptyList(s, rng))
		}
		if s.kind == kindAlgos {
			return []string{strings.Join(out, ",")}, diags
		}
		if out == nil {
			out = []string{}
		}
		return out, diags
	}
	return nil, nil
}

// checkListName checks one name of a list setting; out holds the names
// already accepted.
func checkListName(s *setting, r hcl.Range, name string, out []string) *hcl.Diagnostic {
	bad := func(detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + s.attr,
			Detail: detail, Subject: r.Ptr()}
	}
	switch {
	case s.kind == kindFiles && !absolutePath.MatchString(name):
		return bad(fmt.Sprintf("%s: %q is not an absolute path such as %q (letters, digits, '.', '_', '-', '/').",
			s.attr, name, ed25519HostKey))
	case s.kind == kindNames && oneline.Check(name) != nil:
		return bad(fmt.Sprintf("%s: %q %v; each name must stay on its own config line. Expected %s.",
			s.attr, name, oneline.Check(name), namePatternExample(s.attr)))
	case name == "" || strings.ContainsAny(name, " \t,\"'"):
		return bad(fmt.Sprintf("%s: %q is not a single name (no spaces, commas or quotes).", s.attr, name))
	case s.kind == kindNames && badNamePattern(s.attr, name) != "":
		return bad(fmt.Sprintf("%s: %q %s.", s.attr, name, badNamePattern(s.attr, name)))
	case s.kind == kindAlgos:
		if d := checkAlgorithm(s, r, name); d != nil {
			return d
		}
	}
	if contains(out, name) {
		return bad(fmt.Sprintf("%s: %q is listed twice.", s.attr, name))
	}
	return nil
}

// eachElement calls fn for each element of a list or tuple value, with the
// element's own source range when the expression is a literal list.
func eachElement(s *setting, expr hcl.Expression, val cty.Value, fn func(hcl.Range, cty.Value)) error {
	if !val.Type().IsListType() && !val.Type().IsTupleType() && !val.Type().IsSetType() {
		return fmt.Errorf("not a list")
	}
	var exprs []hclsyntax.Expression
	if tc, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		exprs = tc.Exprs
	}
	i := 0
	for it := val.ElementIterator(); it.Next(); i++ {
		_, v := it.Element()
		r := expr.Range()
		if i < len(exprs) {
			r = exprs[i].Range()
		}
		fn(r, v)
	}
	return nil
}

func wholeNumber(s *setting, rng hcl.Range, val cty.Value) (int64, *hcl.Diagnostic) {
	if val.Type() != cty.Number {
		return 0, typeError(s, rng, "a whole number", val)[0]
	}
	bf := val.AsBigFloat()
	n, acc := bf.Int64()
	if acc != big.Exact || n < int64(s.min) || n > int64(s.max) {
		return 0, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Invalid value for " + s.attr,
			Detail:  fmt.Sprintf("%s: %s is out of range; expected a whole number from %d to %d.", s.attr, bf.Text('f', -1), s.min, s.max),
			Subject: rng.Ptr()}
	}
	return n, nil
}

var (
	maxStartupsRE = regexp.MustCompile(`^[0-9]+(:[0-9]+:[0-9]+)?$`)
	// absolutePath is a file sshd_config may name without quoting.
	absolutePath = regexp.MustCompile(`^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$`)
	authMethods  = []string{"any", "publickey", "password", "keyboard-interactive", "hostbased", "gssapi-with-mic"}
)

// Names in AllowUsers and AllowGroups: what an account or group name can
// be, with sshd's wildcards and negation. sshd itself takes almost any
// word (even "a#b" or "-a"); harden takes the names that can match.
var (
	namePattern = regexp.MustCompile(`^!?[A-Za-z0-9_.*?][A-Za-z0-9_.*?-]*\$?$`)
	hostPattern = regexp.MustCompile(`^[A-Za-z0-9_*?]([A-Za-z0-9_.*?-]*[A-Za-z0-9_*?])?$`)
)

const nameChars = "letters, digits, '.', '_', '-' (not first) and the wildcards '*' and '?', optionally with a leading '!'"

func namePatternExample(attr string) string {
	if attr == "allow_groups" {
		return `a group name pattern such as "sshusers" or "ops-*"`
	}
	return `a user name pattern such as "deploy", "deploy@203.0.113.0/24" or "ops-*"`
}

// badNamePattern says what is wrong with an AllowUsers USER[@HOST] or an
// AllowGroups pattern ("" when nothing is).
func badNamePattern(attr, name string) string {
	if attr == "allow_groups" {
		if !namePattern.MatchString(name) {
			return "is not a group name pattern; expected " + nameChars + `, such as "sshusers" or "ops-*"`
		}
		return ""
	}
	user, host, hasHost := strings.Cut(name, "@")
	if !namePattern.MatchString(user) {
		return "is not a user name pattern; expected USER or USER@HOST, USER of " + nameChars +
			`, such as "deploy", "deploy@203.0.113.0/24" or "ops-*"`
	}
	if hasHost && !validHostPattern(host) {
		return "is not a user name pattern; expected USER or USER@HOST, HOST an address, a network " +
			`such as 203.0.113.0/24 (no host bits set), or a host name pattern such as "*.example.org"`
	}
	return ""
}

func validHostPattern(host string) bool {
	if _, err := netaddr.IP(host); err == nil {
		return true
	}
	if p, err := netip.ParsePrefix(host); err == nil {
		return p == p.Masked() // sshd refuses 10.0.0.1/8
	}
	return !strings.Contains(host, "/") && hostPattern.MatchString(host)
}

func checkText(s *setting, rng hcl.Range, v string) *hcl.Diagnostic {
	if err := oneline.Check(v); err != nil {
		detail := fmt.Sprintf("%s: %q %v; the value must stay on its own config line", s.attr, v, err)
		if len(s.def) > 0 {
			detail += fmt.Sprintf(", such as %q", s.def[0])
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + s.attr, Detail: detail + ".", Subject: rng.Ptr()}
	}
	switch s.attr {
	case "max_startups":
		if !maxStartupsRE.MatchString(v) {
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for max_startups",
				Detail:  fmt.Sprintf("max_startups: %q is not valid; expected start:rate:full such as \"10:30:60\", or a number.", v),
				Subject: rng.Ptr()}
		}
	case "banner":
		if v != "none" && !absolutePath.MatchString(v) {
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for banner",
				Detail: fmt.Sprintf("banner: %q is not valid; expected \"none\" or an absolute path such as %q.",
					v, defaultBanner), Subject: rng.Ptr()}
		}
	case "authentication_methods":
		for _, list := range strings.Fields(v) {
			for _, method := range strings.Split(list, ",") {
				base, _, _ := strings.Cut(method, ":")
				if !contains(authMethods, base) || (base == "any" && v != "any") {
					return module.BadValue(rng, s.attr, method, "\"any\" or comma-separated lists of "+
						strings.Join(authMethods[1:], ", "), authMethods)
				}
			}
		}
		if strings.TrimSpace(v) == "" {
			return module.BadValue(rng, s.attr, v, "\"any\" or a method list", authMethods)
		}
	}
	return nil
}

func typeError(s *setting, rng hcl.Range, want string, got cty.Value) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError,
		Summary: "Invalid value for " + s.attr,
		Detail:  fmt.Sprintf("%s: expected %s, got %s.", s.attr, want, got.Type().FriendlyName()),
		Subject: rng.Ptr()}}
}

func emptyList(s *setting, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for " + s.attr,
		Detail:  fmt.Sprintf("%s: the list is empty; set it to null to leave %s unmanaged.", s.attr, s.keyword),
		Subject: rng.Ptr()}
}

// moduleAttrs are the attributes that are no sshd keyword: how harden
// treats the files beside sshd_config, and the lockout guard's override.
var moduleAttrs = []string{"allow_lockout", "keep_rsa_host_key", "banner_text", "file_modes", "moduli_min_bits"}

// decodeModuleAttrs reads moduleAttrs; null is the same as leaving one out,
// except for file_modes and moduli_min_bits, which null turns off.
func (m *Module) decodeModuleAttrs(content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	m.allowLockout, m.keepRSAHostKey, m.bannerText = false, false, defaultBannerText
	m.fileModes, m.moduliMinBits = true, defaultModuliMinBits
	var diags hcl.Diagnostics
	for _, name := range moduleAttrs {
		attr, ok := content.Attributes[name]
		if !ok {
			continue
		}
		val, d := attr.Expr.Value(ctx)
		if diags = append(diags, d...); d.HasErrors() || !val.IsWhollyKnown() {
			continue
		}
		switch {
		case val.IsNull() && name == "file_modes":
			m.fileModes = false
		case val.IsNull() && name == "moduli_min_bits":
			m.moduliMinBits = 0
		case val.IsNull():
		case name == "allow_lockout":
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &m.allowLockout)...)
		case name == "keep_rsa_host_key":
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &m.keepRSAHostKey)...)
		case name == "file_modes":
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &m.fileModes)...)
		case name == "banner_text":
			diags = append(diags, decodeBannerText(attr.Expr, ctx, &m.bannerText)...)
		case name == "moduli_min_bits":
			s := &setting{attr: name, min: 2048, max: 8192}
			n, d := wholeNumber(s, attr.Expr.Range(), val)
			if d != nil {
				diags = append(diags, d)
				continue
			}
			m.moduliMinBits = int(n)
		}
	}
	return diags
}

// decodeBannerText reads the text sshd shows before login. It may span
// lines; it gains a final newline, and must not be empty (banner = "none"
// turns the banner off).
func decodeBannerText(expr hcl.Expression, ctx *hcl.EvalContext, out *string) hcl.Diagnostics {
	var text string
	if diags := gohcl.DecodeExpression(expr, ctx, &text); diags.HasErrors() {
		return diags
	}
	if strings.TrimSpace(text) == "" {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value for banner_text",
			Detail:  `banner_text: the text is empty; set banner = "none" to show no banner.`,
			Subject: expr.Range().Ptr()}}
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	*out = text
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
