package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
)

// runDLQ implements `consumer dlq replay`: dead letters go back to their
// original topic, at-least-once, with a progress line and a summary.
func runDLQ(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "replay" {
		fmt.Fprintln(stderr, "consumer: usage: consumer dlq replay --topic T.dlq [--to T] [--filter-error TEXT] [--limit N] [--dry-run]")
		return exitUsage
	}
	var opts dlq.ReplayOptions
	// The service's settings are loaded too, unused, so that the same
	// configuration file and environment serve every command.
	cfg, ok := loadConfig(args[1:], consumerkit.ServiceSettings(), stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&opts.Topic, "topic", "", "dead-letter topic to read")
		fs.StringVar(&opts.To, "to", "", "destination topic (default: each letter's original topic)")
		fs.StringVar(&opts.FilterError, "filter-error", "", "replay only letters whose error contains this text")
		fs.IntVar(&opts.Limit, "limit", 0, "replay at most this many letters (0: all)")
		fs.BoolVar(&opts.DryRun, "dry-run", false, "report what would be replayed; write nothing")
	})
	if !ok {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	verb := "replayed"
	if opts.DryRun {
		verb = "would replay"
	}
	last := time.Time{}
	progress := func(s dlq.ReplaySummary) {
		if time.Since(last) >= time.Second {
			fmt.Fprintf(stderr, "dlq replay: scanned %d, matched %d, %s %d\n", s.Scanned, s.Matched, verb, s.Replayed)
			last = time.Now()
		}
	}
	sum, err := dlq.Replay(ctx, replayCluster(cfg.Kafka), opts, progress)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v (%s)\n", err, sum)
		if sum.Scanned == 0 && ctx.Err() == nil {
			return exitUsage
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "dlq replay %s: scanned %d, matched %d, %s %d, without original topic %d\n",
		opts.Topic, sum.Scanned, sum.Matched, verb, sum.Replayed, sum.NoOrigin)
	return exitOK
}

// replayCluster is where the replay reads and writes: the configured
// brokers, connecting as the service does, named <group>-dlq-replay.
func replayCluster(k kafka.Config) dlq.Cluster {
	return dlq.Cluster{Brokers: k.Brokers, ClientID: k.GroupID + "-dlq-replay", TLS: k.TLS, SASL: k.SASL,
		AutoCreateTopics: k.AutoCreateTopics, CloseTimeout: k.CloseTimeout}
}
