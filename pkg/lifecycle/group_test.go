package lifecycle

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

func stop(t *testing.T, g *Group) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	if err := g.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestStopWaitsForRunningTask(t *testing.T) {
	g := NewGroup("test")
	finished := make(chan struct{})
	if err := g.Go("worker", func(ctx context.Context) error {
		<-ctx.Done()
		close(finished)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	stop(t, g)
	select {
	case <-finished:
	default:
		t.Fatal("Stop returned before the task finished")
	}
	if err := g.Err(); err != nil {
		t.Fatalf("cancellation after Stop must not count as failure, got %v", err)
	}
}

func TestTaskReturningNilIsNotAFailure(t *testing.T) {
	g := NewGroup("test")
	done := make(chan struct{})
	_ = g.Go("short", func(context.Context) error { defer close(done); return nil })
	<-done
	stop(t, g)
	select {
	case <-g.Failed():
		t.Fatal("a task returning nil closed Failed")
	default:
	}
	if got := g.Running(); len(got) != 0 {
		t.Fatalf("Running after stop: %v", got)
	}
}

func TestGoAfterStopIsRefused(t *testing.T) {
	g := NewGroup("test")
	stop(t, g)
	ran := make(chan struct{}, 1)
	err := g.Go("late", func(context.Context) error { ran <- struct{}{}; return nil })
	if !errors.Is(err, ErrStopping) {
		t.Fatalf("Go after Stop: got %v, want ErrStopping", err)
	}
	if len(ran) != 0 {
		t.Fatal("task ran after Stop")
	}
}

func TestSecondStopWaitsForFirst(t *testing.T) {
	g := NewGroup("test")
	release := make(chan struct{})
	_ = g.Go("slow", func(ctx context.Context) error {
		<-ctx.Done()
		<-release
		return nil
	})
	first := make(chan error, 1)
	go func() { first <- g.Stop(context.Background()) }()

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Stop while task runs: got %v, want deadline exceeded", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	stop(t, g) // a third call after completion returns at once
}

func TestStopNamesTasksThatDidNotStop(t *testing.T) {
	g := NewGroup("engine")
	release := make(chan struct{})
	_ = g.Go("stubborn-handler", func(context.Context) error { <-release; return nil })
	_ = g.Go("polite", func(ctx context.Context) error { <-ctx.Done(); return nil })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := g.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
	if !strings.Contains(err.Error(), "stubborn-handler") || strings.Contains(err.Error(), "polite") {
		t.Fatalf("error must name only the task still running: %v", err)
	}
	close(release)
	stop(t, g)
}

// TestPanickingTaskIsRecoveredAndReported: a task's panic is a
// *PanicError naming the task and the value, whose own text stays short;
// the group's report of it ends with the stack, for the log.
func TestPanickingTaskIsRecoveredAndReported(t *testing.T) {
	g := NewGroup("test")
	_ = g.Go("exploder", func(context.Context) error { panic("boom") })
	select {
	case <-g.Failed():
	case <-time.After(consumertest.Patience):
		t.Fatal("Failed not closed after a panic")
	}
	var pe *PanicError
	err := g.Err()
	if !errors.As(err, &pe) {
		t.Fatalf("Err: got %v, want a PanicError", err)
	}
	if pe.What != "task exploder" || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "group_test.go") {
		t.Fatalf("panic report lacks task, value or stack: %+v", pe)
	}
	if pe.Error() != "task exploder panicked: boom" {
		t.Fatalf("PanicError text %q must name the task and the value, not the stack", pe.Error())
	}
	if report := err.Error(); !strings.HasPrefix(report, "test: task exploder panicked: boom\n") || !strings.HasSuffix(report, string(pe.Stack)) {
		t.Fatalf("the group's report %q must end with the stack, for the log", report)
	}
	stop(t, g)
}

func TestFailingTaskClosesFailedAndNamesTask(t *testing.T) {
	g := NewGroup("admin")
	_ = g.Go("listener", func(context.Context) error { return errors.New("address in use") })
	select {
	case <-g.Failed():
	case <-time.After(consumertest.Patience):
		t.Fatal("Failed not closed")
	}
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "admin: task listener: address in use") {
		t.Fatalf("Err: %v", err)
	}
	stop(t, g)
}
