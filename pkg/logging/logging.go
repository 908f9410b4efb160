// Package logging builds the process's one zap logger: JSON (or console) to
// stdout, with an AtomicLevel that /loglevel changes at run time. Rotation is
// the platform's job; the logger never takes a lock that a rotation could
// hold (production failure F4).
package logging

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	if _, err := ParseLevel(c.Level); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %w", err))
	}
	if c.Format != "json" && c.Format != "console" {
		errs = append(errs, fmt.Errorf("log.format %q: must be json or console", c.Format))
	}
	return errs
}

// levels are the only levels an operator may choose. zap also knows dpanic,
// panic and fatal, but the logger writes only entries at or above its level,
// so any of those would silence every error log.
var levels = []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel}

// ParseLevel returns the level named s, which must be debug, info, warn or
// error in any letter case. Anything else, including the empty string,
// zap's "warning" alias and the levels above error, is an error that lists
// the allowed names. The log.level setting and PUT /loglevel both parse with
// it, so they accept the same names.
func ParseLevel(s string) (zapcore.Level, error) {
	names := make([]string, len(levels))
	for i, l := range levels {
		if strings.EqualFold(s, l.String()) {
			return l, nil
		}
		names[i] = l.String()
	}
	return 0, fmt.Errorf("%q is not one of %s", s, strings.Join(names, ", "))
}

// NewLevel returns the level shared by the logger and the admin server's
// /loglevel endpoint; cfg.Level is parsed by ParseLevel.
func NewLevel(cfg Config) (zap.AtomicLevel, error) {
	lvl, err := ParseLevel(cfg.Level)
	if err != nil {
		return zap.AtomicLevel{}, fmt.Errorf("logging: %w", err)
	}
	return zap.NewAtomicLevelAt(lvl), nil
}

// Sampling: within each sampleTick, counted from the first entry of a level
// and message, the first sampleFirst such entries pass and then every
// sampleThereafter-th (the 200th, 300th, ...); the others are dropped.
const (
	sampleTick       = time.Second
	sampleFirst      = 100
	sampleThereafter = 100
)

// New returns the logger writing to stdout at level, and a cleanup that
// flushes buffered entries; call the cleanup once, last. Entries are sampled
// per second, level and message: the first 100 of a kind pass, then one in
// 100 (the 200th, 300th, ...), so a flood of identical lines cannot saturate
// stdout; every dropped entry is counted in
// kafka_consumer_log_dropped_total{level}, so sampling is never silent.
func New(cfg Config, level zap.AtomicLevel, reg prometheus.Registerer) (*zap.Logger, func(), error) {
	return newLogger(cfg, level, reg, zapcore.Lock(os.Stdout))
}

// newLogger is New writing to out, so tests can read what was written.
func newLogger(cfg Config, level zap.AtomicLevel, reg prometheus.Registerer, out zapcore.WriteSyncer) (*zap.Logger, func(), error) {
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_consumer_log_dropped_total",
		Help: fmt.Sprintf("Log entries dropped by sampling (the first %d of a message per %s pass, then 1 in %d).",
			sampleFirst, sampleTick, sampleThereafter),
	}, []string{"level"})
	if err := reg.Register(dropped); err != nil {
		return nil, nil, fmt.Errorf("logging: register metrics: %w", err)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if cfg.Format == "console" {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	core := zapcore.NewSamplerWithOptions(zapcore.NewCore(enc, out, level), sampleTick, sampleFirst, sampleThereafter,
		zapcore.SamplerHook(func(e zapcore.Entry, d zapcore.SamplingDecision) {
			if d&zapcore.LogDropped != 0 {
				dropped.WithLabelValues(e.Level.String()).Inc()
			}
		}))
	logger := zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr)))
	// Sync on a terminal or pipe returns EINVAL on some systems; nothing is
	// lost by ignoring that, since stdout is unbuffered here.
	return logger, func() { _ = logger.Sync() }, nil
}
