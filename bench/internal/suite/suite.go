package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/probe"
	"github.com/consumerkit/consumerkit/bench/internal/report"
	"github.com/consumerkit/consumerkit/bench/internal/topics"
)

// Config is one run of the suite.
type Config struct {
	Brokers []string
	Rounds  int
	Sizes   plan.Sizes
	Quick   bool
	// Only, when not empty, names the workloads to run.
	Only []string
	// Out is the directory the results and each contender's log go to.
	Out string
	// Exe is the binary that runs a Go contender (`Exe consume <spec>`).
	Exe string
	// RunTimeout bounds one contender's run, start-up and shutdown
	// included.
	RunTimeout time.Duration
	// Command, Commit and KafkaVersion are recorded with the results.
	Command, Commit, KafkaVersion string
	// Progress receives a line per run.
	Progress io.Writer
}

// Run prepares the topics, runs cfg.Rounds rounds of every workload's
// contenders (each round's order rotated), verifies every run's group,
// and returns the results; it writes results.json to cfg.Out after each
// round. It stops at the first run that fails — a contender that errs,
// hands over another number of messages than the topic holds, or leaves
// its group's committed offsets short of the end — and returns what was
// measured until then with the error.
func Run(ctx context.Context, cfg Config) (report.Results, error) {
	res := report.Results{Command: cfg.Command, Started: time.Now(), Rounds: cfg.Rounds, Quick: cfg.Quick,
		Commit: cfg.Commit, Brokers: cfg.Brokers}
	if cfg.Rounds < 1 {
		return res, fmt.Errorf("rounds: %d, need at least 1", cfg.Rounds)
	}
	hz, err := probe.ClockTicks()
	if err != nil {
		return res, err
	}
	if res.Machine, err = machine(); err != nil {
		return res, err
	}
	admin, err := topics.NewAdmin(cfg.Brokers)
	if err != nil {
		return res, err
	}
	defer admin.Close()
	if res.Versions, err = versions(ctx, admin, cfg.KafkaVersion); err != nil {
		return res, err
	}
	for _, w := range plan.Plan(cfg.Sizes) {
		if len(cfg.Only) == 0 || slices.Contains(cfg.Only, w.Name) {
			res.Workloads = append(res.Workloads, w)
		}
	}
	if len(res.Workloads) == 0 {
		return res, fmt.Errorf("no workload named %v", cfg.Only)
	}
	if err := prepare(ctx, admin, res.Workloads, cfg.Progress); err != nil {
		return res, err
	}
	r := runner{cfg: cfg, admin: admin, hz: hz}
	for round := range cfg.Rounds {
		for _, w := range res.Workloads {
			for _, e := range plan.Rotated(w.Contenders, round) {
				run, err := r.one(ctx, w, e, round)
				if err != nil {
					return finish(cfg, res), fmt.Errorf("round %d, %s, %s: %w", round+1, w.Name, e.Contender, err)
				}
				res.Runs = append(res.Runs, run)
			}
		}
		load, err := loadAverage()
		if err != nil {
			return finish(cfg, res), err
		}
		res.Machine.LoadAvg = append(res.Machine.LoadAvg, load)
		if err := writeJSON(filepath.Join(cfg.Out, "results.json"), finish(cfg, res)); err != nil {
			return res, err
		}
	}
	return finish(cfg, res), nil
}

// finish stamps res as finished now and summarises its runs.
func finish(cfg Config, res report.Results) report.Results {
	res.Finished = time.Now()
	res.Summaries = report.Summarize(res.Workloads, res.Runs)
	return res
}

// prepare produces every workload's topic, or reuses it when it already
// holds exactly its shape.
func prepare(ctx context.Context, admin *topics.Admin, ws []plan.Workload, progress io.Writer) error {
	for _, w := range ws {
		start := time.Now()
		reused, err := admin.Ensure(ctx, w.Shape)
		if err != nil {
			return err
		}
		how := "produced"
		if reused {
			how = "reused"
		}
		fmt.Fprintf(progress, "topic %s: %s (%s messages, %d partitions) in %s\n",
			w.Shape.Name, how, plan.Count(w.Shape.N), w.Shape.Partitions, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

type runner struct {
	cfg   Config
	admin *topics.Admin
	hz    int64
}

// one runs contender e on workload w as a fresh group, checks the
// group's committed offsets, and returns the run's figures.
func (r runner) one(ctx context.Context, w plan.Workload, e plan.Entry, round int) (report.Run, error) {
	group := fmt.Sprintf("bench-peers-%s-%s-r%d-%d", w.Name, e.Contender, round+1, time.Now().UnixNano())
	spec := contender.Spec{Contender: e.Contender, Brokers: r.cfg.Brokers, Topic: w.Shape.Name, Group: group,
		N: w.Shape.N, HandlerDelay: w.HandlerDelay, Workers: e.Workers, Timeout: r.cfg.RunTimeout}
	logPath := filepath.Join(r.cfg.Out, "logs", fmt.Sprintf("r%d-%s-%s.log", round+1, w.Name, e.Contender))
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return report.Run{}, err
	}
	start := time.Now()
	var rep contender.Report
	var err error
	if e.Contender == plan.Kcat {
		rep, err = runKcat(ctx, spec, logPath)
	} else {
		rep, err = runProcess(ctx, r.cfg.Exe, spec, logPath)
	}
	if err != nil {
		return report.Run{}, err
	}
	wall := time.Since(start)
	if err := r.admin.VerifyGroup(ctx, w.Shape.Name, group); err != nil {
		return report.Run{}, err
	}
	run, err := toRun(rep, w.Shape.N, r.hz)
	if err != nil {
		return report.Run{}, err
	}
	run.Workload, run.Contender, run.Round, run.Group, run.WallSeconds = w.Name, e.Contender, round, group, wall.Seconds()
	fmt.Fprintf(r.cfg.Progress, "round %d/%d %-12s %-22s %9.0f msgs/s %6.2f µs/msg cpu, %5.1fs in all\n",
		round+1, r.cfg.Rounds, w.Name, e.Contender, run.Rate, run.CPUMicrosPerMsg, run.WallSeconds)
	return run, nil
}

// writeJSON writes v to path, indented.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// Write writes res to dir as results.json, results.md and chart.png.
func Write(dir string, res report.Results) error {
	if err := writeJSON(filepath.Join(dir, "results.json"), res); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(report.Markdown(res)), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return report.WritePNG(filepath.Join(dir, "chart.png"), res)
}
