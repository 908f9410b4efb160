// Package report turns the benchmark suite's runs into what a person
// reads: per workload and contender the median and range of throughput,
// of the ratio to each baseline taken round by round, of CPU per message
// and of the process's cost (goroutines, sockets, memory), as JSON, as
// markdown tables and as a PNG chart.
package report

import (
	"math"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/stats"
)

// Run is what one contender process measured in one round.
type Run struct {
	Workload  string `json:"workload"`
	Contender string `json:"contender"`
	Round     int    `json:"round"`
	Group     string `json:"group"`
	// Messages is how many messages the measured span covers; Seconds
	// is its length and Rate their quotient.
	Messages int64   `json:"messages"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"rate"`
	// StartRate is every message over the time from the process's start
	// to the last message: start-up (joining the group, connecting to
	// every partition, the first fetches) included, for every contender
	// alike. It is the fair figure for a client that fetches much of the
	// topic before it hands over its first message.
	StartRate float64 `json:"start_rate"`
	// CPUMicrosPerMsg is the process's utime+stime over the span divided
	// by Messages.
	CPUMicrosPerMsg float64 `json:"cpu_us_per_msg"`
	// Goroutines, Sockets, Threads and RSSMiB are read half way; HWMMiB
	// is the resident high-water mark at the last message. Goroutines is
	// -1 for kcat.
	Goroutines int     `json:"goroutines"`
	Sockets    int64   `json:"sockets"`
	Threads    int64   `json:"threads"`
	RSSMiB     float64 `json:"rss_mib"`
	HWMMiB     float64 `json:"hwm_mib"`
	// WallSeconds is the whole process, start-up and shutdown included.
	WallSeconds float64 `json:"wall_seconds"`
}

// Machine is where the suite ran.
type Machine struct {
	NProc    int    `json:"nproc"`
	CPUModel string `json:"cpu_model"`
	// LoadAvg are the 1-minute load averages read before the first
	// round, after each round, and at the end.
	LoadAvg []float64 `json:"load_avg"`
}

// Results are one run of the suite.
type Results struct {
	Command  string            `json:"command"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Rounds   int               `json:"rounds"`
	Quick    bool              `json:"quick"`
	Commit   string            `json:"commit"`
	Brokers  []string          `json:"brokers"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	// Workloads are the plan, Summaries what came of it, Runs every
	// measurement it was computed from.
	Workloads []plan.Workload `json:"workloads"`
	Summaries []Summary       `json:"summaries"`
	Runs      []Run           `json:"runs"`
}

// Row summarises one contender of one workload over the rounds.
type Row struct {
	Contender string        `json:"contender"`
	Label     string        `json:"label"`
	Rate      stats.Summary `json:"rate"`
	StartRate stats.Summary `json:"start_rate"`
	// Ratios are, by baseline contender, the per-round ratios
	// Rate/baseline's Rate summarised.
	Ratios map[string]stats.Summary `json:"ratios"`
	// StartRatios are the same for StartRate.
	StartRatios map[string]stats.Summary `json:"start_ratios"`
	CPU         stats.Summary            `json:"cpu_us_per_msg"`
	Goroutines  stats.Summary            `json:"goroutines"`
	Sockets     stats.Summary            `json:"sockets"`
	RSSMiB      stats.Summary            `json:"rss_mib"`
	HWMMiB      stats.Summary            `json:"hwm_mib"`
}

// Summary is one workload's rows, in the plan's order of contenders.
type Summary struct {
	Workload string `json:"workload"`
	Rows     []Row  `json:"rows"`
}

// Summarize computes every workload's rows from runs: each contender's
// figures over its rounds, and its ratio to each baseline taken per
// round (a round in which either did not run has no ratio).
func Summarize(workloads []plan.Workload, runs []Run) []Summary {
	out := make([]Summary, 0, len(workloads))
	for _, w := range workloads {
		byContender := map[string][]Run{}
		for _, r := range runs {
			if r.Workload == w.Name {
				byContender[r.Contender] = append(byContender[r.Contender], r)
			}
		}
		perRound := func(c string, f func(Run) float64) map[int]float64 {
			m := map[int]float64{}
			for _, r := range byContender[c] {
				m[r.Round] = f(r)
			}
			return m
		}
		rate := func(r Run) float64 { return r.Rate }
		startRate := func(r Run) float64 { return r.StartRate }
		s := Summary{Workload: w.Name}
		for _, e := range w.Contenders {
			rs := byContender[e.Contender]
			row := Row{Contender: e.Contender, Label: e.Label, Ratios: map[string]stats.Summary{}, StartRatios: map[string]stats.Summary{},
				Rate:       stats.Summarize(field(rs, rate)),
				StartRate:  stats.Summarize(field(rs, startRate)),
				CPU:        stats.Summarize(field(rs, func(r Run) float64 { return r.CPUMicrosPerMsg })),
				Goroutines: stats.Summarize(field(rs, goroutines)),
				Sockets:    stats.Summarize(field(rs, func(r Run) float64 { return float64(r.Sockets) })),
				RSSMiB:     stats.Summarize(field(rs, func(r Run) float64 { return r.RSSMiB })),
				HWMMiB:     stats.Summarize(field(rs, func(r Run) float64 { return r.HWMMiB })),
			}
			for _, b := range w.Baselines {
				_, ratios := stats.RatiosPerRound(perRound(e.Contender, rate), perRound(b, rate))
				row.Ratios[b] = stats.Summarize(ratios)
				_, ratios = stats.RatiosPerRound(perRound(e.Contender, startRate), perRound(b, startRate))
				row.StartRatios[b] = stats.Summarize(ratios)
			}
			s.Rows = append(s.Rows, row)
		}
		out = append(out, s)
	}
	return out
}

func field(runs []Run, f func(Run) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// goroutines is a run's goroutine count, NaN for a process that has
// none (kcat), so that it is left out of the summary.
func goroutines(r Run) float64 {
	if r.Goroutines < 0 {
		return math.NaN()
	}
	return float64(r.Goroutines)
}
