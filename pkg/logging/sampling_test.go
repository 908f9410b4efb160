package logging

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// manualClock is the logger's clock, moved only by the test, so a sampling
// window never ends while the test logs into it however slow the machine.
type manualClock struct{ now time.Time }

func (c *manualClock) Now() time.Time                         { return c.now }
func (c *manualClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// lines counts the entries written to out whose message is msg.
func lines(out *consumertest.Buffer, msg string) int {
	return strings.Count(out.String(), `"msg":"`+msg+`"`)
}

// droppedCount reads kafka_consumer_log_dropped_total{level}; 0 when the
// series does not exist yet.
func droppedCount(t *testing.T, reg *prometheus.Registry, level string) int {
	t.Helper()
	return int(consumertest.CounterValue(t, reg, "kafka_consumer_log_dropped_total", map[string]string{"level": level}))
}

// sampledLogger is New's logger, writing to out, with the clock at clock.
func sampledLogger(t *testing.T, clock *manualClock) (*zap.Logger, *prometheus.Registry, *consumertest.Buffer) {
	t.Helper()
	cfg := Config{Level: "info", Format: "json"}
	level, err := NewLevel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	out := &consumertest.Buffer{}
	logger, cleanup, err := newLogger(cfg, level, reg, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return logger.WithOptions(zap.WithClock(clock)), reg, out
}

// logAndCheck logs msg count times at lvl and checks, entry by entry, that
// the k-th of the window (first+k) passes exactly when the contract says:
// the first 100 pass, then the 200th, 300th, ...; each dropped entry adds
// one to the counter of its level and is not written.
func logAndCheck(t *testing.T, logger *zap.Logger, reg *prometheus.Registry, out *consumertest.Buffer, lvl zapcore.Level, msg string, first, count int) {
	t.Helper()
	droppedBefore, writtenBefore := droppedCount(t, reg, lvl.String()), lines(out, msg)
	wantDropped := 0
	for k := first; k < first+count; k++ {
		before := droppedCount(t, reg, lvl.String())
		logger.Log(lvl, msg)
		dropped := droppedCount(t, reg, lvl.String()) - before
		wantPass := k <= 100 || (k-100)%100 == 0
		if !wantPass {
			wantDropped++
		}
		if (dropped != 0 && dropped != 1) || (dropped == 0) != wantPass {
			t.Fatalf("%s %q, entry %d of the window: counter grew by %d, want the entry to pass: %v", lvl, msg, k, dropped, wantPass)
		}
	}
	if got := droppedCount(t, reg, lvl.String()) - droppedBefore; got != wantDropped {
		t.Errorf("%s %q: %d counted dropped, want %d", lvl, msg, got, wantDropped)
	}
	if got := lines(out, msg) - writtenBefore; got != count-wantDropped {
		t.Errorf("%s %q: %d written, want %d", lvl, msg, got, count-wantDropped)
	}
}

// TestSamplingPassesFirst100ThenEvery100thPerSecondLevelAndMessage pins the
// sampling contract entry by entry: within one second of a level and
// message the first 100 pass, then only the 200th, 300th, ... (of 1000:
// 109 written, 891 dropped and counted); another message or level has its
// own count; the window lasts exactly one second from its first entry; an
// entry below the level is neither written nor counted.
func TestSamplingPassesFirst100ThenEvery100thPerSecondLevelAndMessage(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := &manualClock{now: start}
	logger, reg, out := sampledLogger(t, clock)
	const flood, other = "the same line, again and again", "another line"

	for range 1000 {
		logger.Debug("below the level: neither written nor counted")
	}
	if got := droppedCount(t, reg, "debug"); got != 0 {
		t.Errorf("debug entries below the level counted as dropped: %d", got)
	}

	logAndCheck(t, logger, reg, out, zapcore.WarnLevel, flood, 1, 1000)
	if got := droppedCount(t, reg, "warn"); got != 891 {
		t.Errorf("1000 identical warnings in a second: %d dropped, want 891", got)
	}
	// Another message, and the same message at another level, start their
	// own windows.
	logAndCheck(t, logger, reg, out, zapcore.WarnLevel, other, 1, 101)
	logAndCheck(t, logger, reg, out, zapcore.ErrorLevel, flood, 1, 101)

	// The last instant of the window still counts on.
	clock.now = start.Add(time.Second - time.Nanosecond)
	logAndCheck(t, logger, reg, out, zapcore.WarnLevel, flood, 1001, 100)

	// One second after its first entry a new window starts from 1.
	clock.now = start.Add(time.Second)
	logAndCheck(t, logger, reg, out, zapcore.WarnLevel, flood, 1, 201)
}
