// Package logging builds the process's one zap logger: JSON (or console) to
// stdout, with an AtomicLevel that /loglevel changes at run time. Rotation is
// the platform's job; the logger never takes a lock that a rotation could
// hold (production failure F4).
package logging

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config selects the level and encoding.
type Config struct {
	Level  string `yaml:"level"`  // debug|info|warn|error
	Format string `yaml:"format"` // json|console
}

// DefaultConfig is info level, JSON.
func DefaultConfig() Config { return Config{Level: "info", Format: "json"} }

// Validate returns every problem with the configuration.
func (c Config) Validate() []error {
	var errs []error
	if _, err := zapcore.ParseLevel(c.Level); err != nil {
		errs = append(errs, fmt.Errorf("log.level %q: must be debug, info, warn or error", c.Level))
	}
	if c.Format != "json" && c.Format != "console" {
		errs = append(errs, fmt.Errorf("log.format %q: must be json or console", c.Format))
	}
	return errs
}

// NewLevel returns the level shared by the logger and the admin server's
// /loglevel endpoint.
func NewLevel(cfg Config) (zap.AtomicLevel, error) {
	lvl, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return zap.AtomicLevel{}, fmt.Errorf("logging: %w", err)
	}
	return zap.NewAtomicLevelAt(lvl), nil
}

// New returns the logger writing at level, and a cleanup that flushes
// buffered entries; call the cleanup once, last.
func New(cfg Config, level zap.AtomicLevel) (*zap.Logger, func()) {
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if cfg.Format == "console" {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(os.Stdout), level)
	logger := zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr)))
	// Sync on a terminal or pipe returns EINVAL on some systems; nothing is
	// lost by ignoring that, since stdout is unbuffered here.
	return logger, func() { _ = logger.Sync() }
}
