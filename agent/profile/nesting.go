package profile

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// nesting.go measures how deep hcl's parser and evaluator would recurse on a
// profile, from hcl's own tokens: strings, heredocs, comments and templates
// are read exactly as the parser reads them. The measure errs on the deep
// side: it may count a level the parser does not recurse into, never the
// other way round.

// nestingBound bounds the depth tooDeep measures, from the bytes alone, so
// that most profiles need not be tokenized twice: each token that deepens
// the measure (an opening bracket, quote, heredoc or template sequence, an
// operator, a %{if}) holds one of these bytes of its own, or is "=="; a
// closing token never deepens it.
func nestingBound(src []byte) int {
	n := 1 + bytes.Count(src, []byte("=="))
	for _, b := range src {
		if strings.IndexByte(`([{"<>!-+*/%&|?`, b) >= 0 {
			n++
		}
	}
	return n
}

// frame is one open bracket, brace, parenthesis, string or template sequence.
type frame struct {
	closer hclsyntax.TokenType
	// template: a quoted string or heredoc, whose parts are a flat list;
	// only its open %{if} and %{for} directives nest.
	template bool
	// newlineEnds: a newline ends an item here (a body, an object) and an
	// expression there cannot continue on the next line.
	newlineEnds bool
	// items counts, in the current item (up to a comma or an item-ending
	// newline), the operators and finished terms: each nests the parser or
	// the syntax tree one more level (-x, a+b+c, a?b:c?d:e, x[0][0]).
	items int
}

// nestingScan follows the frames open at each token.
type nestingScan struct {
	frames []frame
	depth  int // len(frames) + the items of every frame
}

// tooDeep reports the first token at which the nesting exceeds MaxNesting.
func tooDeep(tokens hclsyntax.Tokens) (hclsyntax.Token, bool) {
	s := newNestingScan()
	for i, tok := range tokens {
		s.step(tokens, i)
		if s.depth > MaxNesting {
			return tok, true
		}
	}
	return hclsyntax.Token{}, false
}

// newNestingScan starts in the file's body, where a newline ends an item.
func newNestingScan() *nestingScan {
	return &nestingScan{frames: []frame{{closer: hclsyntax.TokenEOF, newlineEnds: true}}, depth: 1}
}

func (s *nestingScan) top() *frame { return &s.frames[len(s.frames)-1] }

func (s *nestingScan) step(tokens hclsyntax.Tokens, i int) {
	tok := tokens[i]
	switch tok.Type {
	case hclsyntax.TokenOParen:
		s.open(frame{closer: hclsyntax.TokenCParen})
	case hclsyntax.TokenOBrack:
		s.open(frame{closer: hclsyntax.TokenCBrack})
	case hclsyntax.TokenOBrace:
		s.open(frame{closer: hclsyntax.TokenCBrace, newlineEnds: !startsFor(tokens[i+1:])})
	case hclsyntax.TokenTemplateInterp:
		s.open(frame{closer: hclsyntax.TokenTemplateSeqEnd})
	case hclsyntax.TokenTemplateControl:
		s.directive(tokens[i+1:])
		s.open(frame{closer: hclsyntax.TokenTemplateSeqEnd})
	case hclsyntax.TokenOQuote:
		s.open(frame{closer: hclsyntax.TokenCQuote, template: true})
	case hclsyntax.TokenOHeredoc:
		s.open(frame{closer: hclsyntax.TokenCHeredoc, template: true})
	case s.top().closer:
		s.close()
	case hclsyntax.TokenComma:
		s.endItem()
	case hclsyntax.TokenNewline:
		if s.top().newlineEnds {
			s.endItem()
		}
	case hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenStar, hclsyntax.TokenSlash,
		hclsyntax.TokenPercent, hclsyntax.TokenAnd, hclsyntax.TokenOr, hclsyntax.TokenBang,
		hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenGreaterThan,
		hclsyntax.TokenGreaterThanEq, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
		hclsyntax.TokenQuestion:
		s.addItem()
	}
}

func (s *nestingScan) open(f frame) {
	s.frames = append(s.frames, f)
	s.depth++
}

// close ends the top frame; what it held becomes one finished term of the
// frame around it. A closer that does not match the top frame is left to
// the parser to report, and counts nothing off.
func (s *nestingScan) close() {
	if len(s.frames) == 1 {
		return
	}
	s.depth -= 1 + s.top().items
	s.frames = s.frames[:len(s.frames)-1]
	if !s.top().template {
		s.addItem()
	}
}

func (s *nestingScan) addItem() {
	s.top().items++
	s.depth++
}

func (s *nestingScan) endItem() {
	if f := s.top(); !f.template {
		s.depth -= f.items
		f.items = 0
	}
}

// directive follows %{if}/%{for} ... %{endif}/%{endfor} in a template: the
// parser recurses into each open directive's body.
func (s *nestingScan) directive(next hclsyntax.Tokens) {
	f := s.top()
	if !f.template || len(next) == 0 || next[0].Type != hclsyntax.TokenIdent {
		return
	}
	switch string(next[0].Bytes) {
	case "if", "for":
		s.addItem()
	case "endif", "endfor":
		if f.items > 0 {
			f.items--
			s.depth--
		}
	}
}

// startsFor reports whether a brace opens a for expression ({for k, v in
// ...}), which, unlike an object, continues across newlines.
func startsFor(next hclsyntax.Tokens) bool {
	for _, tok := range next {
		if tok.Type != hclsyntax.TokenNewline {
			return tok.Type == hclsyntax.TokenIdent && string(tok.Bytes) == "for"
		}
	}
	return false
}
