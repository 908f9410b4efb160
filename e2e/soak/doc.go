// Package soak measures a long run of the consumer binary and judges it:
// Probe samples a process (RSS and open file descriptors from /proc, heap
// and goroutines from its /metrics), LastHalfTrend and Trend.Grows decide
// whether a series grows, and WriteCSV and WritePNG keep the samples for a
// person to look at. The soak test itself (e2e, tags e2e and soak: `make
// soak`) drives the binary; this package holds only what it measures
// with, so the rule is unit-tested on every `make test`.
package soak
