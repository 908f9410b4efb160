package watchdog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// stuck is a subject whose liveness fails, as the engine's does when a
// partition stalls.
type stuck struct{}

func (stuck) Live() error  { return errors.New("partition orders/3 stalled at offset 42") }
func (stuck) Inspect() any { return map[string]int64{"orders/3": 42} }

// The watchdog watching a subject whose liveness fails: it captures the
// evidence once, into a directory under DiagDir, before the restart that
// the failing liveness probe causes would lose it.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "diag")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cfg := watchdog.DefaultConfig()
	cfg.DiagDir, cfg.Interval = dir, 10*time.Millisecond
	w, err := watchdog.New(cfg, stuck{}, prometheus.NewRegistry(), zap.NewNop())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// Wait for the capture to be complete: reason.txt is written first,
	// heap.pprof last.
	var captures []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		captures, _ = filepath.Glob(filepath.Join(dir, "capture-*", "heap.pprof"))
		if len(captures) > 0 {
			break
		}
	}
	fmt.Println("stopped:", w.Stop(ctx))
	if len(captures) == 0 {
		fmt.Println("no capture")
		return
	}
	capture := filepath.Dir(captures[0])
	reason, _ := os.ReadFile(filepath.Join(capture, "reason.txt"))
	state, _ := os.ReadFile(filepath.Join(capture, "state.json"))
	fmt.Print(string(reason), string(state))
	// Output:
	// stopped: <nil>
	// partition orders/3 stalled at offset 42
	// {
	//   "orders/3": 42
	// }
}

// Capture called by hand (the watchdog calls it when liveness fails):
// each call writes one directory of evidence and only the newest keep
// are kept.
func ExampleCapture() {
	dir, err := os.MkdirTemp("", "diag")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	var last string
	for i := range 3 {
		if last, err = watchdog.Capture(dir, 2, 1<<20, fmt.Sprintf("probe %d", i), map[string]string{"state": "stuck"}); err != nil {
			fmt.Println(err)
			return
		}
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "capture-*"))
	fmt.Println("captures kept:", len(kept))
	entries, _ := os.ReadDir(last)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	reason, _ := os.ReadFile(filepath.Join(last, "reason.txt"))
	fmt.Print("newest: ", string(reason))
	// Output:
	// captures kept: 2
	// goroutines.txt
	// heap.pprof
	// reason.txt
	// state.json
	// newest: probe 2
}

// awaitRelease is work a handler started: it parks until released.
func awaitRelease(release <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	<-release
}

// Goroutines working for a handler carry the LabelHandler pprof label
// (the engine sets it on its workers; what they start inherits it), so
// ByHandler can count them: this is how the watchdog spots a handler
// that leaks goroutines.
func ExampleByHandler() {
	release := make(chan struct{})
	var wg sync.WaitGroup
	pprof.Do(context.Background(), pprof.Labels(watchdog.LabelHandler, "orders"), func(context.Context) {
		for range 3 {
			wg.Add(1)
			go awaitRelease(release, &wg) // started by the handler: labelled "orders" too
		}
	})
	defer func() { close(release); wg.Wait() }()

	// The goroutines may not have run yet (their record has no frames):
	// wait until the three are parked on one stack.
	parked := func(stacks []watchdog.GoroutineStack) bool {
		for _, g := range stacks {
			if g.Labels[watchdog.LabelHandler] == "orders" && g.Count == 3 && len(g.Stack) > 0 {
				return true
			}
		}
		return false
	}
	stacks := watchdog.Goroutines()
	for deadline := time.Now().Add(time.Minute); !parked(stacks) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		stacks = watchdog.Goroutines()
	}
	counts, top := watchdog.ByHandler(stacks)
	fmt.Println("orders:", counts["orders"])
	fmt.Println("where most are:", top["orders"])
	// Output:
	// orders: 3
	// where most are: [github.com/consumerkit/consumerkit/pkg/watchdog_test.awaitRelease]
}
