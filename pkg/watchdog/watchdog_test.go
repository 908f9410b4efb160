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
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func goroutineDump() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}

// TestCaptureSavesTheDeadlockScene reproduces production failure F4's
// deadlock — a reader takes a read lock twice while a writer waits between
// — and checks that the captured dump shows both blocked goroutines.
func TestCaptureSavesTheDeadlockScene(t *testing.T) {
	var mu sync.RWMutex
	var done sync.WaitGroup
	mu.RLock()                                 // the logger's first read lock
	done.Go(func() { mu.Lock(); mu.Unlock() }) // log rotation waits for the write lock
	consumertest.Eventually(t, "the writer to wait", func() bool { return strings.Contains(goroutineDump(), "sync.(*RWMutex).Lock") })
	done.Go(func() { mu.RLock(); mu.RUnlock() }) // the nested read lock now waits behind the writer
	consumertest.Eventually(t, "the nested reader to wait", func() bool { return strings.Contains(goroutineDump(), "sync.(*RWMutex).RLock") })

	dir := t.TempDir()
	path, err := Capture(dir, 3, 1<<20, "orders/0 stalled at offset 42: handler h completed nothing for 5s", map[string]any{"group": "g"})
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
		p, err := Capture(dir, 2, 1<<20, "r", nil)
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

const (
	msgCaptured     = "liveness failed; evidence captured (goroutine dump, consumer state, heap profile)"
	msgCaptureFails = "liveness failed; evidence capture failed"
	msgRecovered    = "liveness recovered"
)

// startWatching starts a watchdog over s that checks liveness every 5ms
// and captures into dir, logging into the returned observer.
func startWatching(t *testing.T, s *subject, dir string) *observer.ObservedLogs {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	w, err := New(Config{DiagDir: dir, Keep: 5, MaxCaptureBytes: 1 << 20, Interval: 5 * time.Millisecond, LeakInterval: time.Hour, LeakSamples: 3, LeakGrowth: 1},
		s, prometheus.NewRegistry(), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	return logs
}

// fail makes s's liveness return err and waits until the watchdog has
// acted on it: a check that began after the change has finished, since
// the next one has begun.
func (s *subject) fail(t *testing.T, err error) {
	t.Helper()
	s.err.Store(liveErr{err})
	from := s.checks.Load()
	consumertest.Eventually(t, "two checks after the change", func() bool { return s.checks.Load() > from+2 })
}

// TestWatchdogCapturesOncePerEpisode: one capture when liveness fails, none
// while it stays failed, another after it recovered and failed again; each
// capture is logged with the reason and where the evidence is.
func TestWatchdogCapturesOncePerEpisode(t *testing.T) {
	dir := t.TempDir()
	s := &subject{}
	s.err.Store(liveErr{})
	logs := startWatching(t, s, dir)
	captures := func() []string {
		entries, _ := os.ReadDir(dir)
		var paths []string
		for _, e := range entries {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
		return paths
	}

	s.fail(t, errors.New("stalled"))
	from := s.checks.Load()
	consumertest.Eventually(t, "more checks while still failing", func() bool { return s.checks.Load() > from+5 })
	first := captures()
	if len(first) != 1 {
		t.Fatalf("%d captures in one episode", len(first))
	}
	if got := logs.FilterMessage(msgCaptured).AllUntimed(); len(got) != 1 ||
		got[0].ContextMap()["reason"] != "stalled" || got[0].ContextMap()["path"] != first[0] {
		t.Fatalf("capture logs %v; want one naming the reason and %s", got, first[0])
	}
	s.fail(t, nil)
	if n := logs.FilterMessage(msgRecovered).Len(); n != 1 {
		t.Fatalf("%d recovery logs, want 1", n)
	}
	s.fail(t, errors.New("stalled again"))
	if n := len(captures()); n != 2 || logs.FilterMessage(msgCaptured).Len() != 2 {
		t.Fatalf("%d captures, %d capture logs after a second episode; want 2 of each", n, logs.FilterMessage(msgCaptured).Len())
	}
}

// TestWatchdogLogsWhenCaptureFails: when the evidence cannot be written,
// the failed liveness is still logged with its reason and why the capture
// failed, once per episode, and nothing claims a capture.
func TestWatchdogLogsWhenCaptureFails(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := &subject{}
	s.err.Store(liveErr{})
	logs := startWatching(t, s, notADir)

	s.fail(t, errors.New("stalled"))
	from := s.checks.Load()
	consumertest.Eventually(t, "more checks while still failing", func() bool { return s.checks.Load() > from+5 })
	got := logs.FilterMessage(msgCaptureFails).AllUntimed()
	if len(got) != 1 || got[0].ContextMap()["reason"] != "stalled" || got[0].ContextMap()["error"] == nil {
		t.Fatalf("capture-failure logs %v; want one with the reason and the error", got)
	}
	if n := logs.FilterMessage(msgCaptured).Len(); n != 0 {
		t.Fatalf("%d logs claim a capture that failed", n)
	}
}

// TestLeakSuspectedForAHandlerWhoseGoroutinesKeepGrowing: goroutines
// started under a handler's label are counted for it; steady growth sets
// kafka_consumer_leak_suspected, and ending the leak clears it.
func TestLeakSuspectedForAHandlerWhoseGoroutinesKeepGrowing(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := &subject{}
	s.err.Store(liveErr{})
	w, err := New(Config{DiagDir: t.TempDir(), Keep: 1, MaxCaptureBytes: 1 << 20, Interval: time.Hour, LeakInterval: 10 * time.Millisecond, LeakSamples: 3, LeakGrowth: 3},
		s, reg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop(context.Background()) }()

	stop, leaking := make(chan struct{}), make(chan struct{})
	var leaked sync.WaitGroup
	// What a handler that leaks a goroutine per message does, a message
	// every 2ms until the suspicion is raised: steadily, whatever the
	// pace of the polling below.
	pprof.Do(context.Background(), pprof.Labels(LabelHandler, "leaky"), func(context.Context) {
		leaked.Go(func() {
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-leaking:
					return
				case <-tick.C:
					leaked.Go(func() { <-stop })
				}
			}
		})
	})
	suspected := func() float64 { return testutil.ToFloat64(w.suspected.WithLabelValues("leaky")) }
	consumertest.Eventually(t, "leak suspected", func() bool { return suspected() == 1 })
	close(leaking)
	if n := testutil.ToFloat64(w.goroutines.WithLabelValues("leaky")); n < 3 {
		t.Fatalf("goroutines{handler=leaky} = %v", n)
	}
	close(stop)
	leaked.Wait()
	consumertest.Eventually(t, "suspicion to clear", func() bool { return suspected() == 0 })
	consumertest.Eventually(t, "goroutines{handler=leaky} to drop to 0", func() bool {
		return testutil.ToFloat64(w.goroutines.WithLabelValues("leaky")) == 0
	})
}
