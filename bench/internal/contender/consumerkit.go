package contender

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// BatchSize and BatchLinger shape consumerkit's batch contender: batches
// of up to 500 messages, flushed at the latest 100ms after their first.
const (
	BatchSize   = 500
	BatchLinger = 100 * time.Millisecond
)

// consumerkitPartition is consumerkit with a per-message handler in
// partition ordering: one worker per partition, strict offset order.
func consumerkitPartition(ctx context.Context, s Spec, sw *Stopwatch) error {
	sub := registry.Subscription{Topic: s.Topic, Ordering: registry.OrderingPartition}
	return runEngine(ctx, s, sw, registry.Handler("bench", perMessage(sw, s.HandlerDelay), sub), kafka.FetcherReader)
}

// consumerkitSession is consumerkitPartition on the session fetcher
// (kafka.fetcher: session): one fetch session and connection per broker
// instead of a kafka-go Reader per partition.
func consumerkitSession(ctx context.Context, s Spec, sw *Stopwatch) error {
	sub := registry.Subscription{Topic: s.Topic, Ordering: registry.OrderingPartition}
	return runEngine(ctx, s, sw, registry.Handler("bench", perMessage(sw, s.HandlerDelay), sub), kafka.FetcherSession)
}

// consumerkitKey is consumerkit with a per-message handler in key
// ordering with s.Workers workers per partition.
func consumerkitKey(ctx context.Context, s Spec, sw *Stopwatch) error {
	if s.Workers < 1 {
		return fmt.Errorf("key ordering needs workers, got %d", s.Workers)
	}
	sub := registry.Subscription{Topic: s.Topic, Ordering: registry.OrderingKey, Workers: s.Workers}
	return runEngine(ctx, s, sw, registry.Handler("bench", perMessage(sw, s.HandlerDelay), sub), kafka.FetcherReader)
}

// consumerkitBatch is consumerkit with a batch handler (partition
// ordering, BatchSize and BatchLinger).
func consumerkitBatch(ctx context.Context, s Spec, sw *Stopwatch) error {
	sub := registry.Subscription{Topic: s.Topic, Ordering: registry.OrderingPartition,
		Batch: registry.BatchConfig{Size: BatchSize, Linger: BatchLinger}}
	h := message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
		if s.HandlerDelay > 0 {
			time.Sleep(s.HandlerDelay)
		}
		sw.Mark(int64(len(msgs)))
		return nil
	})
	return runEngine(ctx, s, sw, registry.Batch("bench", h, sub), kafka.FetcherReader)
}

func perMessage(sw *Stopwatch, delay time.Duration) message.Handler {
	return message.HandlerFunc(func(context.Context, *message.Message) error {
		handle(sw, delay)
		return nil
	})
}

// runEngine builds consumerkit's engine the way a service outside the
// module does (registry, metrics on their own registry, the cluster and
// the engine from pkg/kafka's defaults), with the suite's commit
// interval and fetcher, and runs it until sw is done; Stop makes the final commit.
func runEngine(ctx context.Context, s Spec, sw *Stopwatch, reg registry.Registration, fetcher string) error {
	handlers, err := registry.New(reg)
	if err != nil {
		return err
	}
	cfg := kafka.DefaultConfig()
	cfg.Brokers, cfg.GroupID, cfg.CommitInterval, cfg.Fetcher = s.Brokers, s.Group, CommitInterval, fetcher
	metrics, err := kafka.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		return err
	}
	log := zap.NewNop()
	cluster := kafka.NewCluster(cfg, log)
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	engine, err := kafka.NewEngine(cfg, cluster, handlers, metrics, log)
	if err != nil {
		return err
	}
	if err := engine.Start(ctx); err != nil {
		return err
	}
	var runErr error
	select {
	case <-sw.Done():
	case <-engine.Failed():
		runErr = fmt.Errorf("engine failed: %w", engine.Err())
	case <-ctx.Done():
		runErr = ctx.Err()
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := engine.Stop(stopCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("engine stop: %w", err))
	}
	if err := cluster.Stop(stopCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("cluster stop: %w", err))
	}
	return runErr
}
