// Package suite runs the benchmark: it prepares each workload's topic
// once, then runs every contender of every workload in its own process
// with a fresh consumer group, round after round with the order rotated,
// checks after every run that the group committed the end offset of
// every partition (a run that did not fails the suite), and collects what
// each run measured.
package suite

import (
	"fmt"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
	"github.com/consumerkit/consumerkit/bench/internal/report"
	"github.com/consumerkit/consumerkit/bench/internal/stats"
)

// toRun turns what a contender process reported into the run's figures:
// throughput over its measured span and from the process's start, CPU per message over the same span
// from its utime+stime (hz clock ticks a second), and its cost half way.
// A report that handled another number of messages than n is an error:
// the contender lost or duplicated messages.
func toRun(rep contender.Report, n, hz int64) (report.Run, error) {
	if rep.Count != n {
		return report.Run{}, fmt.Errorf("handled %d messages, the topic holds %d", rep.Count, n)
	}
	rate, err := stats.Rate(rep.Measured, rep.FirstNs, rep.LastNs)
	if err != nil {
		return report.Run{}, err
	}
	ticks := rep.Last.CPUTicks - rep.First.CPUTicks
	if ticks < 0 {
		return report.Run{}, fmt.Errorf("CPU time went back from %d to %d ticks", rep.First.CPUTicks, rep.Last.CPUTicks)
	}
	if rep.StartNs <= 0 || rep.StartNs >= rep.LastNs {
		return report.Run{}, fmt.Errorf("process started at %d, its last message at %d", rep.StartNs, rep.LastNs)
	}
	intervals := float64(rep.Measured - 1)
	return report.Run{
		Messages:        rep.Measured,
		Seconds:         float64(rep.LastNs-rep.FirstNs) / 1e9,
		Rate:            rate,
		StartRate:       float64(rep.Count) / (float64(rep.LastNs-rep.StartNs) / 1e9),
		CPUMicrosPerMsg: float64(ticks) * 1e6 / float64(hz) / intervals,
		Goroutines:      rep.Goroutines,
		Sockets:         rep.Half.Sockets,
		Threads:         rep.Half.Threads,
		RSSMiB:          float64(rep.Half.RSSKiB) / 1024,
		HWMMiB:          float64(rep.Last.HWMKiB) / 1024,
	}, nil
}
