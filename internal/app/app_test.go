package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// journal records lifecycle calls across components, in order.
type journal struct {
	mu    sync.Mutex
	calls []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, s)
}

func (j *journal) String() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.calls, " ")
}

type fakeComponent struct {
	name     string
	j        *journal
	startErr error
	stopErr  error
	block    bool // Stop waits for its ctx to end
	failed   chan struct{}
	err      error
	onStop   func() // runs first thing in Stop, to look at other components then

	// What Stop's ctx looked like at the moment Stop was called.
	stopCtx      context.Context
	stopCtxErr   error
	stopDeadline time.Time
	hasDeadline  bool
}

func (f *fakeComponent) Name() string { return f.name }
func (f *fakeComponent) Start(context.Context) error {
	f.j.add("start:" + f.name)
	return f.startErr
}
func (f *fakeComponent) Stop(ctx context.Context) error {
	f.j.add("stop:" + f.name)
	if f.onStop != nil {
		f.onStop()
	}
	f.stopCtx, f.stopCtxErr = ctx, ctx.Err()
	f.stopDeadline, f.hasDeadline = ctx.Deadline()
	if f.block {
		<-ctx.Done()
		return fmt.Errorf("%s still draining: %w", f.name, ctx.Err())
	}
	return f.stopErr
}
func (f *fakeComponent) Failed() <-chan struct{} { return f.failed }
func (f *fakeComponent) Err() error              { return f.err }

func (j *journal) BeginShutdown() { j.add("unready") }

func newApp(j *journal, timeout time.Duration, cs ...*fakeComponent) (*App, *observer.ObservedLogs) {
	core, logs := observer.New(zap.InfoLevel)
	var comps Components
	for _, c := range cs {
		c.j = j
		comps = append(comps, c)
	}
	return New(lifecycle.ShutdownConfig{Timeout: timeout}, zap.New(core), j, comps), logs
}

func TestRunStartsInOrderAndStopsInReverseAfterReadinessTurnsOff(t *testing.T) {
	j := &journal{}
	a, logs := newApp(j, time.Minute, &fakeComponent{name: "admin"}, &fakeComponent{name: "broker"}, &fakeComponent{name: "consumer"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal arrived
	if err := a.Run(ctx); err != nil {
		t.Fatalf("clean shutdown returned %v", err)
	}
	want := "start:admin start:broker start:consumer unready stop:consumer stop:broker stop:admin"
	if got := j.String(); got != want {
		t.Fatalf("lifecycle order\n got %s\nwant %s", got, want)
	}
	if n := logs.FilterMessage("stopped").Len(); n != 3 {
		t.Fatalf("want each of 3 stops logged with its duration, got %d", n)
	}
	for _, e := range logs.FilterMessage("stopped").All() {
		if _, ok := e.ContextMap()["took"]; !ok {
			t.Fatalf("stop log lacks duration: %v", e.ContextMap())
		}
	}
}

func TestStartFailureStopsOnlyStartedComponents(t *testing.T) {
	j := &journal{}
	a, _ := newApp(j, time.Minute, &fakeComponent{name: "admin"},
		&fakeComponent{name: "broker", startErr: errors.New("port in use")}, &fakeComponent{name: "consumer"})
	err := a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "start broker: port in use") {
		t.Fatalf("Run = %v", err)
	}
	if got, want := j.String(), "start:admin start:broker unready stop:admin"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestComponentFailureStopsEverythingAndIsReturned(t *testing.T) {
	j := &journal{}
	failing := &fakeComponent{name: "consumer", failed: make(chan struct{}), err: errors.New("group loop died")}
	a, _ := newApp(j, time.Minute, &fakeComponent{name: "admin"}, failing)
	close(failing.failed)
	err := a.Run(context.Background())
	if !errors.Is(err, ErrComponentFailed) || !strings.Contains(err.Error(), "consumer: group loop died") {
		t.Fatalf("Run = %v", err)
	}
	if got, want := j.String(), "start:admin start:consumer unready stop:consumer stop:admin"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestOverrunningStopIsNamedAndOthersStillStop(t *testing.T) {
	j := &journal{}
	a, logs := newApp(j, 50*time.Millisecond, &fakeComponent{name: "admin"}, &fakeComponent{name: "consumer", block: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "stop consumer: overran its share") {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(j.String(), "stop:admin") {
		t.Fatalf("admin not stopped after consumer overran: %s", j)
	}
	overran := logs.FilterMessage("stop overran the shutdown timeout").All()
	if len(overran) != 1 || overran[0].ContextMap()["component"] != "consumer" {
		t.Fatalf("overrun must be logged naming the component: %v", overran)
	}
}

func TestStopErrorsAreJoined(t *testing.T) {
	j := &journal{}
	a, _ := newApp(j, time.Minute, &fakeComponent{name: "a", stopErr: errors.New("e1")}, &fakeComponent{name: "b", stopErr: errors.New("e2")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "stop a: e1") || !strings.Contains(err.Error(), "stop b: e2") {
		t.Fatalf("Run = %v", err)
	}
}

func TestStuckStopCannotStarveLaterStops(t *testing.T) {
	const timeout = 600 * time.Millisecond
	const reserve = timeout / (2 * 3) // three components
	j := &journal{}
	a, b, stuck := &fakeComponent{name: "a"}, &fakeComponent{name: "b"}, &fakeComponent{name: "stuck", block: true}
	app, logs := newApp(j, timeout, a, b, stuck)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := time.Now()
	err := app.Run(ctx)
	after := time.Now()

	if got, want := j.String(), "start:a start:b start:stuck unready stop:stuck stop:b stop:a"; got != want {
		t.Fatalf("lifecycle order\n got %s\nwant %s", got, want)
	}
	for _, c := range []*fakeComponent{stuck, b, a} {
		if !c.hasDeadline {
			t.Fatalf("%s stopped without a deadline", c.name)
		}
	}
	for _, c := range []*fakeComponent{b, a} {
		if c.stopCtxErr != nil {
			t.Errorf("%s was handed a context already done (%v) after stuck used its time", c.name, c.stopCtxErr)
		}
	}
	// The last to stop gets the overall deadline: start of stop + timeout.
	// stop began inside Run, so that lies within [before, after] + timeout.
	if d := a.stopDeadline; d.Before(before.Add(timeout)) || d.After(after.Add(timeout)) {
		t.Errorf("a's deadline %v is not start of stop + %s (Run ran %v to %v)", d, timeout, before, after)
	}
	// Each earlier stop ends one reserve before the next one's deadline.
	near := func(got, want time.Duration) bool { return (got - want).Abs() <= time.Millisecond }
	if gap := a.stopDeadline.Sub(b.stopDeadline); !near(gap, reserve) {
		t.Errorf("a's deadline - b's = %s, want the reserve %s", gap, reserve)
	}
	if gap := b.stopDeadline.Sub(stuck.stopDeadline); !near(gap, reserve) {
		t.Errorf("b's deadline - stuck's = %s, want the reserve %s", gap, reserve)
	}

	if err == nil || !strings.Contains(err.Error(), "stop stuck: overran its share") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want stuck named as overrunning", err)
	}
	if strings.Contains(err.Error(), "stop a") || strings.Contains(err.Error(), "stop b") {
		t.Fatalf("a and b must stop cleanly, Run = %v", err)
	}
	stopped := map[any]bool{}
	for _, e := range logs.FilterMessage("stopped").All() {
		stopped[e.ContextMap()["component"]] = true
	}
	if !stopped["a"] || !stopped["b"] || stopped["stuck"] {
		t.Fatalf("want a and b logged as stopped and stuck not: %v", stopped)
	}
	overran := logs.FilterMessage("stop overran the shutdown timeout").All()
	if len(overran) != 1 || overran[0].ContextMap()["component"] != "stuck" {
		t.Fatalf("overrun must be logged once, naming stuck: %v", overran)
	}
	if _, ok := overran[0].ContextMap()["share"]; !ok {
		t.Fatalf("overrun log lacks the component's share: %v", overran[0].ContextMap())
	}
}

func TestOnlyComponentGetsTheWholeTimeout(t *testing.T) {
	const timeout = time.Minute
	only := &fakeComponent{name: "only"}
	app, _ := newApp(&journal{}, timeout, only)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := time.Now()
	if err := app.Run(ctx); err != nil {
		t.Fatalf("clean shutdown returned %v", err)
	}
	after := time.Now()
	if d := only.stopDeadline; !only.hasDeadline || d.Before(before.Add(timeout)) || d.After(after.Add(timeout)) {
		t.Fatalf("only component's deadline %v (set %v) is not start of stop + %s", d, only.hasDeadline, timeout)
	}
}

func TestEachStopContextIsReleasedWhenItsStopReturns(t *testing.T) {
	// A long timeout, so a context found done can only have been cancelled.
	j := &journal{}
	a, b, c := &fakeComponent{name: "a"}, &fakeComponent{name: "b"}, &fakeComponent{name: "c"}
	var atB, atA error
	b.onStop = func() { atB = c.stopCtx.Err() }
	a.onStop = func() { atA = b.stopCtx.Err() }
	app, _ := newApp(j, time.Minute, a, b, c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := app.Run(ctx); err != nil {
		t.Fatalf("clean shutdown returned %v", err)
	}
	if !errors.Is(atB, context.Canceled) || !errors.Is(atA, context.Canceled) {
		t.Fatalf("a stop's context must be cancelled once its Stop returns: c's at b's stop = %v, b's at a's stop = %v", atB, atA)
	}
	if !errors.Is(a.stopCtx.Err(), context.Canceled) {
		t.Fatalf("last stop's context still live after Run: %v", a.stopCtx.Err())
	}
}

// TestComponentsAreTheStartOrderAndACopy: callers (the root tests reading
// the admin server's bound address) get the components in start order and
// cannot reorder the app's own list through the copy.
func TestComponentsAreTheStartOrderAndACopy(t *testing.T) {
	j := &journal{}
	a, _ := newApp(j, time.Minute, &fakeComponent{name: "admin"}, &fakeComponent{name: "broker"}, &fakeComponent{name: "consumer"})
	got := a.Components()
	var names []string
	for _, c := range got {
		names = append(names, c.Name())
	}
	if strings.Join(names, " ") != "admin broker consumer" {
		t.Fatalf("Components() = %v, want start order", names)
	}
	got[0], got[2] = got[2], got[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if want := "start:admin start:broker start:consumer unready stop:consumer stop:broker stop:admin"; j.String() != want {
		t.Fatalf("changing the returned slice changed the app:\n got %s\nwant %s", j, want)
	}
}
