package watchdog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// LabelHandler is the pprof label naming the handler a goroutine works
// for (message.ProfileLabelHandler).
const LabelHandler = message.ProfileLabelHandler

// Group is a set of goroutines with the same labels and stack.
type Group struct {
	Count  int
	Labels map[string]string
	Stack  []string // function names, innermost first
}

// Goroutines reads the goroutine profile into groups.
func Goroutines() []Group {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1) // writing to memory cannot fail
	return parseGoroutines(buf.Bytes())
}

// parseGoroutines reads the debug=1 goroutine profile: a header line, then
// records that start with "N @ pc...", may carry "# labels: {...}", then
// one "#\tpc\tfunc+off\tfile:line" per frame ("#\tpc" alone when the
// function is unknown).
func parseGoroutines(profile []byte) []Group {
	var groups []Group
	sc := bufio.NewScanner(bytes.NewReader(profile))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if count, _, ok := strings.Cut(line, " @ "); ok {
			if n, err := strconv.Atoi(count); err == nil {
				groups = append(groups, Group{Count: n})
				continue
			}
		}
		if len(groups) == 0 {
			continue // the header
		}
		g := &groups[len(groups)-1]
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
	return groups
}

// ByHandler counts goroutines per handler label, and returns for each the
// largest group's stack (where most of them are); of equally large groups,
// the first in groups (the profile lists larger groups first).
func ByHandler(groups []Group) (counts map[string]int, top map[string][]string) {
	counts, top = map[string]int{}, map[string][]string{}
	largest := map[string]int{}
	for _, g := range groups {
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
