package watchdog

import (
	"context"
	"reflect"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// profile is a debug=1 goroutine profile as runtime/pprof writes it: a
// header, records separated by blank lines, labels as JSON, frames as
// "#\tpc\tfunc+offset\tfile:line", and "#\tpc" for a function it cannot
// name.
const profile = "goroutine profile: total 16\n" +
	"9 @ 0x47d92e 0x4158ee 0x4dc1d9 0x483e41\n" +
	"# labels: {\"handler\":\"orders\", \"x\":\"y\"}\n" +
	"#\t0x4dc1d8\tmain.blocked+0x18\t/src/main.go:10\n" +
	"#\t0x4dc0e4\tmain.(*worker).run.func1+0x164\t/src/main.go:19\n" +
	"\n" +
	"4 @ 0x442931 0x4c8771\n" +
	"#\t0x442930\n" +
	"#\t0x4c8770\truntime/pprof.writeGoroutine+0x44\t/go/src/runtime/pprof/pprof.go:784\n" +
	"\n" +
	"3 @ 0x47d92e 0x4dc119\n" +
	"# labels: {\"handler\":\"payments\"}\n" +
	"#\t0x4dc118\tmain.blocked+0x18\t/src/main.go:10\n" +
	"\n"

func TestParseGoroutinesReadsCountsLabelsAndFunctions(t *testing.T) {
	want := []GoroutineStack{
		{Count: 9, Labels: map[string]string{"handler": "orders", "x": "y"}, Stack: []string{"main.blocked", "main.(*worker).run.func1"}},
		{Count: 4, Stack: []string{"runtime/pprof.writeGoroutine"}},
		{Count: 3, Labels: map[string]string{"handler": "payments"}, Stack: []string{"main.blocked"}},
	}
	if got := parseGoroutines([]byte(profile)); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestByHandlerCountsPerHandlerAndNamesTheLargestStack: goroutines without
// a handler label are not counted; a handler's stack is its largest, the
// first of equally large ones.
func TestByHandlerCountsPerHandlerAndNamesTheLargestStack(t *testing.T) {
	h := func(name string) map[string]string { return map[string]string{LabelHandler: name} }
	stacks := []GoroutineStack{
		{Count: 2, Labels: h("a"), Stack: []string{"small"}},
		{Count: 50, Labels: map[string]string{"other": "label"}, Stack: []string{"unlabelled"}},
		{Count: 5, Labels: h("a"), Stack: []string{"first of the largest"}},
		{Count: 1, Labels: h("b"), Stack: []string{"only"}},
		{Count: 5, Labels: h("a"), Stack: []string{"second of the largest"}},
	}
	counts, top := ByHandler(stacks)
	if want := map[string]int{"a": 12, "b": 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	if want := map[string][]string{"a": {"first of the largest"}, "b": {"only"}}; !reflect.DeepEqual(top, want) {
		t.Errorf("top %v, want %v", top, want)
	}
}

// TestGoroutinesCountsLiveGoroutinesByHandler reads this process's own
// profile, so the parser is held to the format the runtime writes today.
func TestGoroutinesCountsLiveGoroutinesByHandler(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	pprof.Do(context.Background(), pprof.Labels(LabelHandler, "parked"), func(context.Context) {
		for range 3 {
			wg.Go(func() { parkedForTest(release) })
		}
	})
	// Poll: a goroutine just started may not have reached parkedForTest.
	const where = "github.com/consumerkit/consumerkit/pkg/watchdog.parkedForTest"
	consumertest.Eventually(t, "3 goroutines of handler parked in "+where, func() bool {
		counts, top := ByHandler(Goroutines())
		return counts["parked"] == 3 && slices.Contains(top["parked"], where)
	})
}

func parkedForTest(release chan struct{}) { <-release }
