package profile

import (
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the functions profiles may call: the pure ones Terraform
// users know for building lists and strings. None reads the machine.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"coalesce": stdlib.CoalesceFunc,
		"concat":   stdlib.ConcatFunc,
		"contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc,
		"format":   stdlib.FormatFunc,
		"join":     stdlib.JoinFunc,
		"length":   stdlib.LengthFunc,
		"lower":    stdlib.LowerFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"range":    stdlib.RangeFunc,
		"setunion": stdlib.SetUnionFunc,
		"sort":     stdlib.SortFunc,
		"split":    stdlib.SplitFunc,
		"upper":    stdlib.UpperFunc,
	}
}
