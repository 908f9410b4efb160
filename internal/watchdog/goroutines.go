package watchdog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/internal/message"
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

// parseGoroutines reads the debug=1 goroutine profile: records start with
// "N @ pc...", may carry "# labels: {...}", then "#\tpc\tfunc+off\tfile:line".
func parseGoroutines(profile []byte) []Group {
	var groups []Group
	sc := bufio.NewScanner(bytes.NewReader(profile))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case len(line) > 0 && line[0] >= '0' && line[0] <= '9' && strings.Contains(line, " @ "):
			n, err := strconv.Atoi(line[:strings.IndexByte(line, ' ')])
			if err == nil {
				groups = append(groups, Group{Count: n})
			}
		case len(groups) == 0:
		case strings.HasPrefix(line, "# labels: "):
			labels := map[string]string{}
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "# labels: ")), &labels) // unparsable labels stay empty
			groups[len(groups)-1].Labels = labels
		case strings.HasPrefix(line, "#\t"):
			if f := strings.Fields(line); len(f) >= 3 {
				fn := f[2]
				if i := strings.LastIndex(fn, "+0x"); i > 0 {
					fn = fn[:i]
				}
				groups[len(groups)-1].Stack = append(groups[len(groups)-1].Stack, fn)
			}
		}
	}
	return groups
}

// ByHandler counts goroutines per handler label, and returns for each the
// largest group's stack (where most of them are).
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
