package cli

import (
	"flag"
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logFlags choose harden's log on stderr: how much, and in which format
// (lines for a person, or one JSON object a line for a log collector).
type logFlags struct {
	level  string
	format string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "info", "log `LEVEL` on stderr: debug, info, warn, error")
	fs.StringVar(&l.format, "log-format", "console", "log `FORMAT` on stderr: console (lines) or json (one object a line)")
}

// logger logs to w (stderr): plans and results go to stdout alone.
func (l logFlags) logger(w zapcore.WriteSyncer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(l.level)
	if err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	var enc zapcore.Encoder
	switch l.format {
	case "console", "":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(cfg)
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	default:
		return nil, fmt.Errorf("-log-format: %q is not console or json", l.format)
	}
	return zap.New(zapcore.NewCore(enc, w, lvl)), nil
}
