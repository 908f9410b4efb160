package suite

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
	"github.com/consumerkit/consumerkit/bench/internal/probe"
)

func TestToRunMeasuresTheSpanAndItsCPU(t *testing.T) {
	rep := contender.Report{
		Count: 1_000_001, Measured: 1_000_001, StartNs: 1e9, FirstNs: 3e9, LastNs: 5e9, Goroutines: 17,
		First: probe.Sample{CPUTicks: 1000},
		Half:  probe.Sample{CPUTicks: 1100, Sockets: 13, Threads: 9, RSSKiB: 20 * 1024},
		Last:  probe.Sample{CPUTicks: 1300, HWMKiB: 30 * 1024},
	}
	run, err := toRun(rep, 1_000_001, 100)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000,000 intervals in 2 s; 300 ticks of 10 ms = 3 s of CPU over
	// them; 1,000,001 messages in the 4 s since the process started.
	for name, got := range map[string][2]float64{
		"rate":      {run.Rate, 500_000},
		"startRate": {run.StartRate, 1_000_001.0 / 4},
		"cpu":       {run.CPUMicrosPerMsg, 3},
		"seconds":   {run.Seconds, 2},
		"rss":       {run.RSSMiB, 20},
		"hwm":       {run.HWMMiB, 30},
	} {
		if math.Abs(got[0]-got[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got[0], got[1])
		}
	}
	if run.Goroutines != 17 || run.Sockets != 13 || run.Threads != 9 {
		t.Errorf("cost half way: %+v", run)
	}
}

func TestToRunRefusesAnotherCountThanTheTopicHolds(t *testing.T) {
	rep := contender.Report{Count: 999, Measured: 999, StartNs: 1, FirstNs: 2, LastNs: 3e9}
	if _, err := toRun(rep, 1000, 100); err == nil || !strings.Contains(err.Error(), "handled 999 messages, the topic holds 1000") {
		t.Errorf("a message short: %v", err)
	}
	rep.Count, rep.Measured = 1001, 1001
	if _, err := toRun(rep, 1000, 100); err == nil {
		t.Error("a message too many: no error")
	}
}

// pieces is kcat's output as it arrives: one Read per piece.
type pieces struct {
	lines []int
	delay time.Duration
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.lines) == 0 {
		return 0, io.EOF
	}
	time.Sleep(p.delay)
	n := p.lines[0]
	p.lines = p.lines[1:]
	return copy(b, strings.Repeat("7\n", n)), nil
}

func TestReadKcatTimesFromTheFirstPieceToTheLastBeforeTheEnd(t *testing.T) {
	// 50,000 messages: the first piece holds 580, the last (written at
	// kcat's exit) 300; everything between is measured.
	lines := []int{580}
	for range 84 {
		lines = append(lines, 580)
	}
	lines = append(lines, 50_000-580*85-300, 300)
	ticks := int64(0)
	sample := func() (probe.Sample, error) { ticks += 10; return probe.Sample{CPUTicks: ticks}, nil }
	rep, err := readKcat(&pieces{lines: lines, delay: time.Millisecond}, sample, 50_000)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count != 50_000 || rep.Goroutines != -1 {
		t.Errorf("count %d goroutines %d, want 50000 and -1", rep.Count, rep.Goroutines)
	}
	if want := int64(50_000 - 300 - 580 + 1); rep.Measured != want {
		t.Errorf("measured %d messages, want %d (from the first piece's last to the piece before the exit's)", rep.Measured, want)
	}
	if rep.LastNs-rep.FirstNs < int64(80*time.Millisecond) {
		t.Errorf("span %v, want the time between the first and the second-to-last piece", time.Duration(rep.LastNs-rep.FirstNs))
	}
	if rep.First.CPUTicks != 10 || rep.Last.CPUTicks <= rep.Half.CPUTicks || rep.Half.CPUTicks <= rep.First.CPUTicks {
		t.Errorf("samples first %d half %d last %d", rep.First.CPUTicks, rep.Half.CPUTicks, rep.Last.CPUTicks)
	}
}

func TestReadKcatRefusesOutputTooCoarseToTime(t *testing.T) {
	sample := func() (probe.Sample, error) { return probe.Sample{}, nil }
	if _, err := readKcat(&pieces{lines: []int{1000}}, sample, 1000); err == nil {
		t.Error("everything in one piece: no error")
	}
	failing := func() (probe.Sample, error) { return probe.Sample{}, errors.New("gone") }
	if _, err := readKcat(&pieces{lines: []int{10, 10}}, failing, 20); err == nil {
		t.Error("a failed sample: no error")
	}
}

func TestKcatVersionKeepsKcatsAndLibrdkafkasVersions(t *testing.T) {
	line := "1.7.1 (JSON, Transactions, IncrementalAssign, librdkafka 2.0.2 builtin.features=gzip,snappy)"
	if got := kcatVersion(line); got != "1.7.1 (librdkafka 2.0.2)" {
		t.Errorf("kcatVersion = %q", got)
	}
}

func TestKcatArgsConsumeAsAGroupAndCommitEverySecond(t *testing.T) {
	args := strings.Join(kcatArgs(contender.Spec{Brokers: []string{"a:1", "b:2"}, Group: "g", Topic: "t"}), " ")
	for _, want := range []string{"-b a:1,b:2", "-G g", "auto.offset.reset=earliest", "auto.commit.interval.ms=1000", "-e", "t"} {
		if !strings.Contains(args, want) {
			t.Errorf("kcat %s lacks %q", args, want)
		}
	}
}
