package watchdog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/internal/proflabel"
)

// LabelHandler is the pprof label naming the handler a goroutine works
// for: the engine sets it on every goroutine working for a handler, and
// goroutines a handler starts inherit it. A service that starts work for
// a handler outside its calls may set it too, to have that work counted.
const LabelHandler = proflabel.Handler

// GoroutineStack is the goroutines parked on one stack with the same
// labels: one record of the goroutine profile.
type GoroutineStack struct {
	Count  int
	Labels map[string]string
	Stack  []string // function names, innermost first
}

// Goroutines reads this process's goroutine profile, largest stacks first.
func Goroutines() []GoroutineStack {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1) // writing to memory cannot fail
	return parseGoroutines(buf.Bytes())
}

// parseGoroutines reads the debug=1 goroutine profile: a header line, then
// records that start with "N @ pc...", may carry "# labels: {...}", then
// one "#\tpc\tfunc+off\tfile:line" per frame ("#\tpc" alone when the
// function is unknown).
func parseGoroutines(profile []byte) []GoroutineStack {
	var stacks []GoroutineStack
	sc := bufio.NewScanner(bytes.NewReader(profile))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if count, _, ok := strings.Cut(line, " @ "); ok {
			if n, err := strconv.Atoi(count); err == nil {
				stacks = append(stacks, GoroutineStack{Count: n})
				continue
			}
		}
		if len(stacks) == 0 {
			continue // the header
		}
		g := &stacks[len(stacks)-1]
		if labels, ok := strings.CutPrefix(line, "# labels: "); ok {
			g.Labels = map[string]string{}
			_ = json.Unmarshal([]byte(labels), &g.Labels) // unparsable labels stay empty
		} else if frame, ok := strings.CutPrefix(line, "#\t"); ok {
			if f := strings.Fields(frame); len(f) > 1 {
				fn, _, _ := strings.Cut(f[1], "+0x") // drop the offset pprof appends
				g.Stack = append(g.Stack, fn)
			}
		}
	}
	return stacks
}

// ByHandler counts goroutines per handler label, and returns for each its
// largest stack (where most of them are); of equally large ones, the first
// in stacks (the profile lists larger ones first).
func ByHandler(stacks []GoroutineStack) (counts map[string]int, top map[string][]string) {
	counts, top = map[string]int{}, map[string][]string{}
	largest := map[string]int{}
	for _, g := range stacks {
		h, ok := g.Labels[LabelHandler]
		if !ok {
			continue
		}
		counts[h] += g.Count
		if g.Count > largest[h] {
			largest[h], top[h] = g.Count, g.Stack
		}
	}
	return counts, top
}
