// Command benchpeers runs consumerkit's benchmark against its peers
// (`make bench-peers` builds and runs it):
//
//	benchpeers run        the suite, against KAFKA_BROKERS; results to -out
//	benchpeers consume J  one contender, J its contender.Spec as JSON (the
//	                      suite runs each contender so, in a process of its own)
//
// run's settings come from flags, defaulting to the environment:
// KAFKA_BROKERS (required), ROUNDS (7), BENCH_QUICK=1 (small topics, for
// a smoke test), BENCH_OUT, BENCH_ONLY (comma-separated workloads),
// BENCH_COMMIT and KAFKA_VERSION (recorded with the results).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/report"
	"github.com/consumerkit/consumerkit/bench/internal/suite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchpeers run [flags] | benchpeers consume <spec JSON>")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(ctx, os.Args[2:])
	case "consume":
		err = consume(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: use run or consume", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchpeers:", err)
		os.Exit(1)
	}
}

// consume runs one contender in this process and prints its report as
// one line of JSON: the only thing on standard output.
func consume(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("consume takes one argument, the spec as JSON")
	}
	var spec contender.Spec
	if err := json.Unmarshal([]byte(args[0]), &spec); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	rep, err := contender.Run(ctx, spec, os.Getpid())
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	brokers := fs.String("brokers", os.Getenv("KAFKA_BROKERS"), "bootstrap brokers, comma-separated (KAFKA_BROKERS)")
	rounds := fs.Int("rounds", envInt("ROUNDS", 7), "interleaved rounds (ROUNDS)")
	quick := fs.Bool("quick", os.Getenv("BENCH_QUICK") == "1", "small topics and one round: a smoke test whose figures mean nothing (BENCH_QUICK=1)")
	out := fs.String("out", os.Getenv("BENCH_OUT"), "results directory (BENCH_OUT; default results/<UTC time>)")
	only := fs.String("only", os.Getenv("BENCH_ONLY"), "comma-separated workloads to run, all when empty (BENCH_ONLY)")
	timeout := fs.Duration("run-timeout", 5*time.Minute, "bound on one contender's run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *brokers == "" {
		return errors.New("no brokers: set KAFKA_BROKERS or -brokers (make bench-peers starts a broker when it is unset)")
	}
	sizes := plan.FullSizes
	if *quick {
		sizes = plan.QuickSizes
		if os.Getenv("ROUNDS") == "" && !flagSet(fs, "rounds") {
			*rounds = 1
		}
	}
	if *out == "" {
		*out = filepath.Join("results", time.Now().UTC().Format("2006-01-02T1504Z"))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := suite.Config{
		Brokers: strings.Split(*brokers, ","), Rounds: *rounds, Sizes: sizes, Quick: *quick,
		Out: *out, Exe: exe, RunTimeout: *timeout, Progress: os.Stderr,
		Command: commandLine(*quick, *rounds), Commit: commit(ctx), KafkaVersion: os.Getenv("KAFKA_VERSION"),
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	res, runErr := suite.Run(ctx, cfg)
	if len(res.Runs) > 0 {
		if err := suite.Write(*out, res); err != nil {
			return errors.Join(runErr, err)
		}
		fmt.Println(report.Markdown(res))
		fmt.Fprintf(os.Stderr, "results: %s (results.md, results.json, chart.png)\n", *out)
	}
	return runErr
}

// commandLine is how the results say they were produced.
func commandLine(quick bool, rounds int) string {
	switch {
	case quick:
		return "BENCH_QUICK=1 make bench-peers"
	case rounds != 7:
		return fmt.Sprintf("ROUNDS=%d make bench-peers", rounds)
	}
	return "make bench-peers"
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// commit is BENCH_COMMIT, else what git says of the checkout this runs
// in, marked -dirty when it has changes.
func commit(ctx context.Context) string {
	if c := os.Getenv("BENCH_COMMIT"); c != "" {
		return c
	}
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return "unknown (git: " + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}
