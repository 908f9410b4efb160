package consumerkit

import (
	"slices"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// kfakeFrame prefixes every function of the embedded broker.
const kfakeFrame = "github.com/twmb/franz-go/pkg/kfake."

// frameworkGoroutines counts this process's goroutines that are not the
// embedded broker's. The root tests run the broker (kfake) in the test
// process, and its goroutines come and go with connections and requests,
// so go_goroutines mixes its churn into what the framework does. Every
// goroutine kfake starts runs one of its functions at the bottom of its
// stack (whatever it is blocked in above that), so a goroutine with no
// kfake frame is the framework's, its clients' (kafka-go) or the test's
// own few (HTTP keep-alives, Run). On a real cluster nothing is excluded.
func frameworkGoroutines() int {
	n := 0
	for _, g := range watchdog.Goroutines() {
		if !slices.ContainsFunc(g.Stack, func(fn string) bool { return strings.HasPrefix(fn, kfakeFrame) }) {
			n += g.Count
		}
	}
	return n
}

// ccacheWorkers counts the running worker goroutines of ccache caches.
func ccacheWorkers() int {
	n := 0
	for _, g := range watchdog.Goroutines() {
		if slices.ContainsFunc(g.Stack, isCcacheWorker) {
			n += g.Count
		}
	}
	return n
}

// isCcacheWorker reports whether fn is ccache's worker loop, as the
// goroutine profile names it: github.com/karlseguin/ccache/v3.(*Cache[...]).worker.
func isCcacheWorker(fn string) bool {
	return strings.HasPrefix(fn, "github.com/karlseguin/ccache/") && strings.HasSuffix(fn, ").worker")
}
