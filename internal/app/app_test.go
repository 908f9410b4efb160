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

	"github.com/consumerkit/consumerkit/internal/lifecycle"
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
}

func (f *fakeComponent) Name() string { return f.name }
func (f *fakeComponent) Start(context.Context) error {
	f.j.add("start:" + f.name)
	return f.startErr
}
func (f *fakeComponent) Stop(ctx context.Context) error {
	f.j.add("stop:" + f.name)
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
	if err == nil || !strings.Contains(err.Error(), "stop consumer: overran shutdown timeout") {
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
