package watchdog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const hangGuard = 10 * time.Second

func goroutineDump() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCaptureSavesTheDeadlockScene reproduces production failure F4's
// deadlock — a reader takes a read lock twice while a writer waits between
// — and checks that the captured dump shows both blocked goroutines.
func TestCaptureSavesTheDeadlockScene(t *testing.T) {
	var mu sync.RWMutex
	var done sync.WaitGroup
	mu.RLock()                                 // the logger's first read lock
	done.Go(func() { mu.Lock(); mu.Unlock() }) // log rotation waits for the write lock
	waitFor(t, "the writer to wait", func() bool { return strings.Contains(goroutineDump(), "sync.(*RWMutex).Lock") })
	done.Go(func() { mu.RLock(); mu.RUnlock() }) // the nested read lock now waits behind the writer
	waitFor(t, "the nested reader to wait", func() bool { return strings.Contains(goroutineDump(), "sync.(*RWMutex).RLock") })

	dir := t.TempDir()
	path, err := Capture(dir, 3, "orders/0 stalled at offset 42: handler h completed nothing for 5s", map[string]any{"group": "g"})
	mu.RUnlock() // end the deadlock so nothing leaks
	done.Wait()
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := os.ReadFile(filepath.Join(path, "goroutines.txt"))
	for _, want := range []string{"sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock", "TestCaptureSavesTheDeadlockScene"} {
		if !strings.Contains(string(dump), want) {
			t.Fatalf("goroutine dump lacks %q", want)
		}
	}
	reason, _ := os.ReadFile(filepath.Join(path, "reason.txt"))
	var state map[string]any
	raw, _ := os.ReadFile(filepath.Join(path, "state.json"))
	if !strings.Contains(string(reason), "offset 42") || json.Unmarshal(raw, &state) != nil || state["group"] != "g" {
		t.Fatalf("reason %q state %s", reason, raw)
	}
	if fi, err := os.Stat(filepath.Join(path, "heap.pprof")); err != nil || fi.Size() == 0 {
		t.Fatalf("heap profile: %v", err)
	}
}

func TestCaptureKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for range 5 {
		p, err := Capture(dir, 2, "r", nil)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 || filepath.Join(dir, entries[1].Name()) != paths[4] || filepath.Join(dir, entries[0].Name()) != paths[3] {
		t.Fatalf("kept %v", entries)
	}
}

type subject struct {
	err    atomic.Value // error wrapper
	checks atomic.Int64
}

type liveErr struct{ err error }

func (s *subject) Live() error {
	s.checks.Add(1)
	v, _ := s.err.Load().(liveErr)
	return v.err
}
func (s *subject) Inspect() any { return map[string]string{"state": "x"} }

// TestWatchdogCapturesOncePerEpisode: one capture when liveness fails, none
// while it stays failed, another after it recovered and failed again.
func TestWatchdogCapturesOncePerEpisode(t *testing.T) {
	dir := t.TempDir()
	s := &subject{}
	s.err.Store(liveErr{})
	w, err := New(Config{DiagDir: dir, Keep: 5, Interval: 5 * time.Millisecond, LeakInterval: time.Hour, LeakSamples: 3, LeakGrowth: 1},
		s, prometheus.NewRegistry(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(context.Background()) }()
	captures := func() int { e, _ := os.ReadDir(dir); return len(e) }

	s.err.Store(liveErr{errors.New("stalled")})
	waitFor(t, "a capture", func() bool { return captures() == 1 })
	from := s.checks.Load()
	waitFor(t, "more checks while still failing", func() bool { return s.checks.Load() > from+5 })
	if captures() != 1 {
		t.Fatalf("%d captures in one episode", captures())
	}
	s.err.Store(liveErr{})
	from = s.checks.Load()
	waitFor(t, "the recovery to be seen", func() bool { return s.checks.Load() > from+2 })
	s.err.Store(liveErr{errors.New("stalled again")})
	waitFor(t, "a second capture", func() bool { return captures() == 2 })
}

func TestConfigValidate(t *testing.T) {
	if errs := (Config{}).Validate(); len(errs) != 4 {
		t.Fatalf("want 4 problems, got %v", errs)
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatal(errs)
	}
}

// TestLeakSuspectedForAHandlerWhoseGoroutinesKeepGrowing: goroutines
// started under a handler's label are counted for it; steady growth sets
// kafka_consumer_leak_suspected, and ending the leak clears it.
func TestLeakSuspectedForAHandlerWhoseGoroutinesKeepGrowing(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := &subject{}
	s.err.Store(liveErr{})
	w, err := New(Config{DiagDir: t.TempDir(), Keep: 1, Interval: time.Hour, LeakInterval: 10 * time.Millisecond, LeakSamples: 3, LeakGrowth: 3},
		s, reg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(context.Background()) }()

	stop := make(chan struct{})
	var leaked sync.WaitGroup
	leak := func() { // what a handler that leaks a goroutine per message does
		pprof.Do(context.Background(), pprof.Labels(LabelHandler, "leaky"), func(context.Context) {
			leaked.Go(func() { <-stop })
		})
	}
	suspected := func() float64 { return testutil.ToFloat64(w.suspected.WithLabelValues("leaky")) }
	waitFor(t, "leak suspected", func() bool {
		leak() // a message, a goroutine
		time.Sleep(5 * time.Millisecond)
		return suspected() == 1
	})
	if n := testutil.ToFloat64(w.goroutines.WithLabelValues("leaky")); n < 3 {
		t.Fatalf("goroutines{handler=leaky} = %v", n)
	}
	close(stop)
	leaked.Wait()
	waitFor(t, "suspicion to clear", func() bool { return suspected() == 0 })
}

func TestGrowingBy(t *testing.T) {
	tests := []struct {
		hist []int
		want bool
	}{
		{[]int{1, 2, 3, 4}, true}, {[]int{1, 2, 2, 4}, false}, {[]int{1, 2, 3}, false}, {[]int{10, 11, 12, 12}, false}, {[]int{1, 2, 3, 3}, false},
	}
	for _, tt := range tests {
		if got := growingBy(tt.hist, 3, 3); got != tt.want {
			t.Errorf("growingBy(%v) = %v", tt.hist, got)
		}
	}
}
