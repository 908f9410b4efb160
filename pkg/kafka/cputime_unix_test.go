//go:build unix

package kafka

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user and system) the process has used so
// far, every goroutine and the garbage collector included.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
