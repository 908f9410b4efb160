package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/stats"
)

// Markdown renders res: how and where it ran, then one table per
// throughput workload and one table for all scaling workloads. Every
// figure is a median over the rounds with its range, min–max.
func Markdown(res Results) string {
	var b strings.Builder
	header(&b, res)
	byName := map[string]Summary{}
	for _, s := range res.Summaries {
		byName[s.Workload] = s
	}
	var scaling []plan.Workload
	for _, w := range res.Workloads {
		if w.Kind == "scaling" {
			scaling = append(scaling, w)
			continue
		}
		throughputTable(&b, w, byName[w.Name])
	}
	if len(scaling) > 0 {
		scalingTable(&b, scaling, byName)
	}
	return b.String()
}

func header(b *strings.Builder, res Results) {
	took := res.Finished.Sub(res.Started).Round(time.Second)
	fmt.Fprintf(b, "`%s`: %d round(s)", res.Command, res.Rounds)
	if res.Quick {
		b.WriteString(" of the quick smoke test (its figures mean nothing)")
	}
	fmt.Fprintf(b, ", started %s, took %s, at commit %s.\n\n", res.Started.UTC().Format("2006-01-02 15:04 MST"), took, res.Commit)
	fmt.Fprintf(b, "Machine: %d cores (%s), shared with the broker; 1-minute load average %s (before the first round, after each, at the end).\n\n",
		res.Machine.NProc, res.Machine.CPUModel, loads(res.Machine.LoadAvg))
	keys := make([]string, 0, len(res.Versions))
	for k := range res.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+res.Versions[k])
	}
	fmt.Fprintf(b, "Versions: %s.\n\n", strings.Join(parts, ", "))
	b.WriteString(method)
}

// method says how every figure was measured.
const method = `How: each contender runs in a process of its own as a fresh consumer group from the earliest offset,
commits every second as it would in production, and stops after the topic's last message; after every run the
group's committed offsets are checked equal to the end offsets of every partition (a run that is short fails the
suite). The contenders run one after another, their order rotated each round.

- msgs/s: from the first message handled to the last (start-up excluded, the same for all). kcat cannot time
  itself: it prints each message's offset into a pipe, which stdio fills in pieces of about 580 lines, and the
  runner times it from the first piece to the last piece before the one written at its exit.
- msgs/s from process start: every message over the time from the process's start to its last message:
  joining the group, connecting and the first fetches included. A client that fetches much of the topic before it
  hands over its first message (franz-go sends one fetch for all partitions of a broker) has a short first-to-last
  span; this column counts that fetch.
- CPU µs/msg: utime+stime of the contender's process (/proc/<pid>/stat, 10 ms ticks) over the first-to-last span,
  divided by the messages in it. Peak RSS: VmHWM at the last message. Goroutines, sockets (descriptors in
  /proc/<pid>/fd that are sockets) and RSS in the scaling table: half way through the run.
- Each cell: median over the rounds (min–max). Ratios are taken round by round against the baseline's run of the
  same round, then summarised.
`

func loads(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

func throughputTable(b *strings.Builder, w plan.Workload, s Summary) {
	fmt.Fprintf(b, "\n### %s\n\n| contender | msgs/s |", w.Title)
	for _, base := range w.Baselines {
		fmt.Fprintf(b, " × %s |", base)
	}
	b.WriteString(" msgs/s from process start | CPU µs/msg | peak RSS MiB |\n|---|---|")
	b.WriteString(strings.Repeat("---|", len(w.Baselines)+3) + "\n")
	for _, r := range s.Rows {
		fmt.Fprintf(b, "| %s | %s |", r.Label, cell(r.Rate, rate))
		for _, base := range w.Baselines {
			fmt.Fprintf(b, " %s |", ratioCell(r, base))
		}
		fmt.Fprintf(b, " %s | %s | %s |\n", cell(r.StartRate, rate), cell(r.CPU, twoDecimals), cell(r.HWMMiB, whole))
	}
}

func scalingTable(b *strings.Builder, ws []plan.Workload, byName map[string]Summary) {
	fmt.Fprintf(b, "\n### Partition scaling: %s messages × 200 B, all partitions assigned to one instance\n\n", plan.Count(ws[0].Shape.N))
	b.WriteString("Goroutines, sockets and RSS are read half way through the run.\n\n")
	b.WriteString("| partitions | contender | msgs/s | × kafka-go | msgs/s from process start | × kafka-go | CPU µs/msg | goroutines | sockets | RSS MiB |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range ws {
		for _, r := range byName[w.Name].Rows {
			fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w.Shape.Partitions, r.Label,
				cell(r.Rate, rate), ratioCell(r, w.Baselines[0]), cell(r.StartRate, rate), startRatioCell(r, w.Baselines[0]), cell(r.CPU, twoDecimals),
				cell(r.Goroutines, whole), cell(r.Sockets, whole), cell(r.RSSMiB, whole))
		}
	}
}

// ratioCell is r's ratio to base, or "1" for the baseline itself.
func ratioCell(r Row, base string) string {
	if r.Contender == base {
		return "1"
	}
	return cell(r.Ratios[base], twoDecimals)
}

// startRatioCell is r's ratio to base from the process's start.
func startRatioCell(r Row, base string) string {
	if r.Contender == base {
		return "1"
	}
	return cell(r.StartRatios[base], twoDecimals)
}

// cell writes a summary as "median (min–max)", or "—" when there is no
// value; a range of one value is left out.
func cell(s stats.Summary, f func(float64) string) string {
	if s.N == 0 {
		return "—"
	}
	if f(s.Min) == f(s.Max) {
		return f(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.Median), f(s.Min), f(s.Max))
}

// rate writes messages a second with three significant digits: 1.68M,
// 505k, 498.
func rate(x float64) string {
	switch { // 999,600 is "1.00M", not "1000k"
	case x >= 999.5e3:
		return sig3(x/1e6) + "M"
	case x >= 999.5:
		return sig3(x/1e3) + "k"
	}
	return sig3(x)
}

func sig3(x float64) string {
	switch {
	case x >= 99.95:
		return fmt.Sprintf("%.0f", x)
	case x >= 9.995:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func twoDecimals(x float64) string { return fmt.Sprintf("%.2f", x) }

func whole(x float64) string { return fmt.Sprintf("%.0f", math.Round(x)) }
