package host

import "go.uber.org/zap"

func zapPath(p string) zap.Field       { return zap.String("path", p) }
func zapInt(k string, v int) zap.Field { return zap.Int(k, v) }
