package logging

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
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
		logger, cleanup := New(cfg, level)
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
