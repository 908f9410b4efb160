package consumertest

import (
	"runtime"
	"strings"
)

// Stacks returns the stack of every goroutine of the process, one entry
// each, as a goroutine dump (debug=2) shows it: a header line such as
// "goroutine 7 [sync.RWMutex.RLock]:" then its frames, ending with the
// "created by" line. Tests count goroutines by what they wait for or who
// started them.
func Stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}
