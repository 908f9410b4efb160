package logging

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"go.uber.org/goleak"
	"go.uber.org/zap/zapcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestValidateListsEveryProblem(t *testing.T) {
	errs := Config{Level: "loud", Format: "xml"}.Validate()
	if len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if !strings.Contains(errs[0].Error(), "log.level") || !strings.Contains(errs[1].Error(), "log.format") {
		t.Fatalf("problems must name the setting: %v", errs)
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default config invalid: %v", errs)
	}
}

func TestNewHonoursLevel(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		cfg := Config{Level: "warn", Format: format}
		level, err := NewLevel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		logger, cleanup, err := New(cfg, level, prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		if logger.Core().Enabled(-1) || !logger.Core().Enabled(1) {
			t.Fatalf("%s: warn level must drop info and keep warn", format)
		}
		level.SetLevel(-1)
		if !logger.Core().Enabled(-1) {
			t.Fatalf("%s: AtomicLevel change not honoured", format)
		}
		cleanup()
	}
}

// TestValidateAcceptsOnlyLevelsThatKeepErrors: dpanic, panic and fatal
// would silence every error log, so the setting refuses them, and every
// refusal names the setting and the allowed levels.
func TestValidateAcceptsOnlyLevelsThatKeepErrors(t *testing.T) {
	tests := []struct {
		level   string
		want    zapcore.Level
		wantErr bool
	}{
		{level: "debug", want: zapcore.DebugLevel},
		{level: "info", want: zapcore.InfoLevel},
		{level: "warn", want: zapcore.WarnLevel},
		{level: "error", want: zapcore.ErrorLevel},
		{level: "WARN", want: zapcore.WarnLevel},
		{level: "Error", want: zapcore.ErrorLevel},
		{level: "dpanic", wantErr: true},
		{level: "panic", wantErr: true},
		{level: "fatal", wantErr: true},
		{level: "FATAL", wantErr: true},
		{level: "warning", wantErr: true},
		{level: "loud", wantErr: true},
		{level: "", wantErr: true},
	}
	for _, tt := range tests {
		name := tt.level
		if name == "" {
			name = "empty"
		}
		t.Run(name, func(t *testing.T) {
			errs := Config{Level: tt.level, Format: "json"}.Validate()
			level, newErr := NewLevel(Config{Level: tt.level, Format: "json"})
			if !tt.wantErr {
				if len(errs) != 0 || newErr != nil {
					t.Fatalf("level %q: Validate = %v, NewLevel error = %v; want neither", tt.level, errs, newErr)
				}
				if got := level.Level(); got != tt.want {
					t.Errorf("level %q: NewLevel = %v, want %v", tt.level, got, tt.want)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("level %q: Validate = %v, want one problem", tt.level, errs)
			}
			if msg := errs[0].Error(); !strings.Contains(msg, "log.level") || !strings.Contains(msg, "debug, info, warn, error") {
				t.Errorf("level %q: %q must name log.level and the allowed levels", tt.level, msg)
			}
			if newErr == nil {
				t.Errorf("level %q: NewLevel accepted what Validate refuses", tt.level)
			}
		})
	}
}
