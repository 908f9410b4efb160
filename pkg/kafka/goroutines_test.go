package kafka

import (
	"strings"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// Goroutine counts in these tests are never process-wide: the embedded
// broker (kfake) runs in the test process, as do the tests' own producers
// and whatever earlier tests left closing, and their goroutines come and
// go with the broker's connections and timers, not with the engine.
//
// An engine's goroutines are found by profiler labels instead. The
// harness starts every engine with the label labelEngineUnderTest set to
// the engine's own id (pprof.Do around Start), and goroutines inherit the
// labels of the goroutine that starts them: the group loop, kafka-go's
// consumer group and its generations, every partition's fetch loop,
// reader and deadline enforcer, and the committers all carry it. Workers replace
// their labels with their handler's (proflabel.Handler), so
// they are counted by that label. Not counted: the goroutines kafka-go
// starts for the letter writer, which run unlabelled on purpose (see
// worker.writeLetter); the tests that count write no letters.
const labelEngineUnderTest = "consumerkit_test_engine"

// goroutines counts e's goroutines: those started from its Start, and the
// workers of its handlers. Engines that share handler names share their
// workers' count, so it is exact only for a test's single engine.
func (e *engineUnderTest) goroutines() int {
	handlers := map[string]bool{}
	for _, s := range e.subs {
		handlers[s.Handler] = true
	}
	n := 0
	for _, g := range watchdog.Goroutines() {
		if g.Labels[labelEngineUnderTest] == e.id || handlers[g.Labels[watchdog.LabelHandler]] {
			n += g.Count
		}
	}
	return n
}

// goroutinesCreatedBy counts the goroutines of the process that fn
// started (the "created by" line of their stack), whatever they run now.
func goroutinesCreatedBy(fn string) int {
	count := 0
	for _, g := range consumertest.Stacks() {
		if strings.Contains(g, "\ncreated by "+fn+" in goroutine ") {
			count++
		}
	}
	return count
}
