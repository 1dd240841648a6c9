package profile

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// NestingBound is nestingBound, for the fuzz test to hold it above Depth.
var NestingBound = nestingBound

// Depth is the deepest the nesting measure goes anywhere in src.
func Depth(src []byte) int {
	tokens, _ := hclsyntax.LexConfig(src, "", hcl.InitialPos)
	s := newNestingScan()
	deepest := s.depth
	for i := range tokens {
		s.step(tokens, i)
		deepest = max(deepest, s.depth)
	}
	return deepest
}
