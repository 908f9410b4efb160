package report

import (
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/stats"
	"github.com/consumerkit/consumerkit/bench/internal/topics"
)

func workloads() []plan.Workload {
	return []plan.Workload{
		{Name: "200B", Title: "12 partitions, 200 B", Kind: "throughput", Baselines: []string{"kafka-go"},
			Shape: topics.Shape{Partitions: 12, N: 1000},
			Contenders: []plan.Entry{
				{Contender: "consumerkit-partition", Label: "consumerkit, partition ordering"},
				{Contender: "kafka-go", Label: "plain kafka-go"},
				{Contender: "kcat", Label: "kcat"},
			}},
		{Name: "scale-96", Title: "96 partitions", Kind: "scaling", Baselines: []string{"kafka-go"},
			Shape: topics.Shape{Partitions: 96, N: 200_000},
			Contenders: []plan.Entry{
				{Contender: "consumerkit-partition", Label: "consumerkit"},
				{Contender: "kafka-go", Label: "kafka-go"},
				{Contender: "kcat", Label: "kcat"},
			}},
	}
}

// runs: consumerkit at 1.5, 2.5 and 2 times kafka-go in rounds 0-2,
// on a machine whose speed changes between rounds; kafka-go has no
// round 3, so consumerkit's round 3 has no ratio.
func runs() []Run {
	var rs []Run
	add := func(w, c string, round int, rate float64, cpu float64, g int) {
		rs = append(rs, Run{Workload: w, Contender: c, Round: round, Rate: rate, StartRate: rate / 2, CPUMicrosPerMsg: cpu,
			Goroutines: g, Sockets: int64(g / 2), RSSMiB: float64(g), HWMMiB: float64(2 * g)})
	}
	for _, w := range []string{"200B", "scale-96"} {
		add(w, "kafka-go", 0, 100_000, 3, 17)
		add(w, "kafka-go", 1, 400_000, 2, 19)
		add(w, "kafka-go", 2, 200_000, 1, 21)
		add(w, "consumerkit-partition", 0, 150_000, 4, 88)
		add(w, "consumerkit-partition", 1, 1_000_000, 5, 90)
		add(w, "consumerkit-partition", 2, 400_000, 6, 92)
		add(w, "consumerkit-partition", 3, 9_000_000, 7, 94)
		add(w, "kcat", 0, 300_000, 1, -1)
	}
	return rs
}

func TestSummarizeTakesRatiosRoundByRound(t *testing.T) {
	sums := Summarize(workloads(), runs())
	if len(sums) != 2 || sums[0].Workload != "200B" || len(sums[0].Rows) != 3 {
		t.Fatalf("summaries %+v", sums)
	}
	ck := sums[0].Rows[0]
	if ck.Contender != "consumerkit-partition" {
		t.Fatalf("first row %s, want the plan's first contender", ck.Contender)
	}
	if want := (stats.Summary{Median: 2, Min: 1.5, Max: 2.5, N: 3}); ck.Ratios["kafka-go"] != want {
		t.Errorf("ratio to kafka-go %+v, want %+v (rounds 0-2 only)", ck.Ratios["kafka-go"], want)
	}
	if want := (stats.Summary{Median: 700_000, Min: 150_000, Max: 9_000_000, N: 4}); ck.Rate != want {
		t.Errorf("rate %+v, want %+v", ck.Rate, want)
	}
	if want := (stats.Summary{Median: 5.5, Min: 4, Max: 7, N: 4}); ck.CPU != want {
		t.Errorf("cpu %+v, want %+v", ck.CPU, want)
	}
	if kcat := sums[0].Rows[2]; kcat.Goroutines.N != 0 || kcat.Rate.N != 1 {
		t.Errorf("kcat: goroutines %+v (it has none), rate %+v", kcat.Goroutines, kcat.Rate)
	}
}

func results() Results {
	return Results{
		Command: "make bench-peers", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Finished: time.Date(2026, 1, 2, 3, 25, 30, 0, time.UTC), Rounds: 5, Commit: "abc123",
		Machine:   Machine{NProc: 2, CPUModel: "AMD EPYC", LoadAvg: []float64{1.5, 2.25}},
		Versions:  map[string]string{"Go": "go1.26.8", "segmentio/kafka-go": "v0.4.51"},
		Workloads: workloads(), Summaries: Summarize(workloads(), runs()),
	}
}

func TestMarkdownWritesMediansWithRanges(t *testing.T) {
	md := Markdown(results())
	for _, want := range []string{
		"`make bench-peers`: 5 round(s), started 2026-01-02 03:04 UTC, took 21m30s, at commit abc123.",
		"Machine: 2 cores (AMD EPYC)", "1-minute load average 1.50, 2.25",
		"Versions: Go go1.26.8, segmentio/kafka-go v0.4.51.",
		"### 12 partitions, 200 B\n\n| contender | msgs/s | × kafka-go | msgs/s from process start | CPU µs/msg | peak RSS MiB |\n|---|---|---|---|---|---|\n",
		"| consumerkit, partition ordering | 700k (150k–9.00M) | 2.00 (1.50–2.50) | 350k (75.0k–4.50M) | 5.50 (4.00–7.00) | 182 (176–188) |\n",
		"| plain kafka-go | 200k (100k–400k) | 1 | 100k (50.0k–200k) | 2.00 (1.00–3.00) | 38 (34–42) |\n",
		"| kcat | 300k | 3.00 | 150k | 1.00 | -2 |\n",
		"### Partition scaling: 200,000 messages × 200 B",
		"| 96 | consumerkit | 700k (150k–9.00M) | 2.00 (1.50–2.50) | 350k (75.0k–4.50M) | 2.00 (1.50–2.50) | 5.50 (4.00–7.00) | 91 (88–94) | 46 (44–47) | 91 (88–94) |\n",
		"| 96 | kafka-go | 200k (100k–400k) | 1 | 100k (50.0k–200k) | 1 |",
		"| 96 | kcat | 300k | 3.00 | 150k | 3.00 | 1.00 | — | 0 | -1 |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "### 96 partitions") {
		t.Error("a scaling workload got a table of its own")
	}
}

func TestRateIsWrittenWithThreeSignificantDigits(t *testing.T) {
	for x, want := range map[float64]string{
		1_680_000: "1.68M", 999_600: "1.00M", 505_000: "505k", 99_960: "100k", 12_345: "12.3k",
		1_234: "1.23k", 999.7: "1.00k", 498: "498", 41.06: "41.1", 9.999: "10.0", 0.5: "0.50",
	} {
		if got := rate(x); got != want {
			t.Errorf("rate(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestCellLeavesOutARangeOfOneValue(t *testing.T) {
	if got := cell(stats.Summary{Median: 3, Min: 3, Max: 3, N: 5}, twoDecimals); got != "3.00" {
		t.Errorf("cell = %q", got)
	}
	if got := cell(stats.Summary{}, twoDecimals); got != "—" {
		t.Errorf("cell of nothing = %q", got)
	}
}

func TestChartBarsAreProportionalToTheMedians(t *testing.T) {
	res := results()
	res.Workloads = res.Workloads[:1]
	res.Summaries = []Summary{{Workload: "200B", Rows: []Row{
		{Contender: "consumerkit-partition", Label: "a", Rate: stats.Summary{Median: 400, Min: 400, Max: 400, N: 1}},
		{Contender: "consumerkit-key", Label: "b", Rate: stats.Summary{Median: 200, Min: 100, Max: 400, N: 3}},
	}}}
	img := Chart(res)
	if img.Bounds().Dx() != chartW {
		t.Fatalf("chart %v wide", img.Bounds())
	}
	// The rows' bars are at fixed places below the title: measure the
	// blue run along the middle of each.
	top := chartTop + titleH
	long := blueRun(img, top+(rowH-barH)/2+2)
	short := blueRun(img, top+rowH+(rowH-barH)/2+2)
	if long < barW-2 || math.Abs(float64(short)-float64(long)/2) > 2 {
		t.Errorf("bars %d and %d pixels long, want %d and half of it", long, short, barW)
	}
	// A scaling workload charts the rate from the process's start.
	res.Workloads[0].Kind = "scaling"
	res.Summaries[0].Rows[0].StartRate = stats.Summary{Median: 100, Min: 100, Max: 100, N: 1}
	res.Summaries[0].Rows[1].StartRate = stats.Summary{Median: 100, Min: 100, Max: 100, N: 1}
	img = Chart(res)
	if a, b := blueRun(img, top+(rowH-barH)/2+2), blueRun(img, top+rowH+(rowH-barH)/2+2); a != b || a < barW-2 {
		t.Errorf("scaling bars %d and %d pixels long, want both %d (equal rates from start)", a, b, barW)
	}
}

// blueRun counts consumerkit-blue pixels on row y of the bar area.
func blueRun(img *image.RGBA, y int) int {
	n := 0
	for x := barX; x < barX+barW+2; x++ {
		if img.RGBAAt(x, y) == colOurs {
			n++
		}
	}
	return n
}
