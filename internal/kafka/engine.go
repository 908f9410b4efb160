package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/lifecycle"
	"github.com/consumerkit/consumerkit/internal/message"
	"github.com/consumerkit/consumerkit/internal/message/middleware"
)

// Engine consumes the subscribed topics as one member of a consumer group
// and runs each message through its handler to one recorded outcome.
//
// Start joins the group in the background; Stop stops fetching, lets
// in-flight work finish within DrainTimeout, flushes batches, commits what
// is done and leaves the group. Stop must be called once Start succeeded.
type Engine struct {
	cfg     Config
	cluster *Cluster
	subs    map[string]*subscription // by topic
	metrics *Metrics
	log     *zap.Logger
	group   *lifecycle.Group

	mu       sync.Mutex
	cg       *kafkago.ConsumerGroup
	conn     connection
	joined   atomic.Bool
	stopping atomic.Bool
}

// subscription is a Subscription bound to its handler and metrics.
type subscription struct {
	Subscription
	handle  func(ctx context.Context, msgs []*message.Message) error
	isBatch bool
	// deadLetter writes finally failed messages; nil when disabled.
	deadLetter *middleware.DeadLetterer
	// retryOf is the subscription whose retry topic this one consumes.
	retryOf *subscription
	metrics subscriptionMetrics
	batches batchMetrics
	// labels are set on every worker goroutine, and so inherited by every
	// goroutine the handler starts: leaks are attributed to their handler.
	labels context.Context
}

// NewEngine binds every subscription to its registered handler: a
// per-message handler inside the default middleware chain (see package
// middleware), a batch handler directly, with the same retry and
// dead-letter policy applied by the engine to each failed message. It
// returns an error, listing every problem, when a handler is missing or is
// of the wrong kind for its subscription. It starts nothing; pub writes
// dead letters.
func NewEngine(cfg Config, cluster *Cluster, handlers *message.Registry, metrics *Metrics, pub *Publisher, log *zap.Logger) (*Engine, error) {
	e := &Engine{
		cfg: cfg, cluster: cluster, metrics: metrics,
		subs: map[string]*subscription{}, log: log.Named("engine"),
		group: lifecycle.NewGroup("engine"),
	}
	var errs []error
	for _, s := range cfg.Subscriptions {
		s = s.withDefaults()
		sub := &subscription{Subscription: s, metrics: metrics.forSubscription(s.Topic, s.Handler),
			labels: pprof.WithLabels(context.Background(), pprof.Labels(message.ProfileLabelHandler, s.Handler, "topic", s.Topic))}
		if s.DeadLetter.Enabled {
			topic := s.DeadLetter.Topic
			sub.deadLetter = middleware.NewDeadLetterer(pub, func(string) string { return topic })
		}
		var retryTopic *middleware.RetryTopicer
		if rt := s.RetryTopic; rt.Enabled {
			retryTopic = middleware.NewRetryTopicer(pub, rt.Topic, rt.Delay, rt.Rounds)
		}
		if s.Batch.Size > 0 {
			h, ok := handlers.BatchHandler(s.Handler)
			if !ok {
				errs = append(errs, fmt.Errorf("subscription %s: %q is not a registered batch handler (registered: %v)", s.Topic, s.Handler, handlers.Names()))
				continue
			}
			sub.handle, sub.isBatch = h.HandleBatch, true
			sub.batches = metrics.forBatches(s.Handler)
		} else {
			h, ok := handlers.Handler(s.Handler)
			if !ok {
				errs = append(errs, fmt.Errorf("subscription %s: %q is not a registered per-message handler (registered: %v)", s.Topic, s.Handler, handlers.Names()))
				continue
			}
			chain := middleware.Default(h, middleware.Options{
				Log:            e.log.With(zap.String("handler", s.Handler)),
				DeadLetter:     sub.deadLetter,
				RetryTopic:     retryTopic,
				Retry:          s.Retry,
				AttemptTimeout: s.AttemptTimeout,
				Duration:       sub.metrics.duration,
				OnPanic:        sub.metrics.panics.Inc,
			})
			sub.handle = func(ctx context.Context, msgs []*message.Message) error { return chain.Handle(ctx, msgs[0]) }
		}
		e.subs[s.Topic] = sub
		if retryTopic != nil {
			// The retry topic is consumed by the same handler and chain;
			// its messages wait until due in their own partition's worker.
			rs := s
			rs.Topic, rs.RetryTopic.Enabled = s.RetryTopic.Topic, false
			e.subs[rs.Topic] = &subscription{Subscription: rs, handle: sub.handle, deadLetter: sub.deadLetter,
				retryOf: sub, metrics: metrics.forSubscription(rs.Topic, s.Handler), labels: sub.labels}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return e, nil
}

// Name identifies the engine in lifecycle logs.
func (e *Engine) Name() string { return "consumer" }

// Start joins the consumer group in the background.
func (e *Engine) Start(context.Context) error {
	conn, err := newConnection(e.cfg)
	if err != nil {
		return err
	}
	topics := make([]string, 0, len(e.subs))
	for topic := range e.subs {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	if err := e.ensureRetryTopics(conn); err != nil {
		return err
	}
	start := kafkago.FirstOffset
	if e.cfg.StartOffset == "latest" {
		start = kafkago.LastOffset
	}
	cg, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                e.cfg.GroupID,
		Brokers:           e.cluster.Addrs(),
		Dialer:            conn.dialer(),
		Topics:            topics,
		HeartbeatInterval: e.cfg.HeartbeatInterval,
		SessionTimeout:    e.cfg.SessionTimeout,
		RebalanceTimeout:  e.cfg.RebalanceTimeout,
		JoinGroupBackoff:  e.cfg.JoinGroupBackoff,
		StartOffset:       start,
		ErrorLogger:       kafkaLogger(e.log.Named("group")),
		Timeout:           10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", e.cfg.GroupID, err)
	}
	e.mu.Lock()
	e.cg, e.conn = cg, conn
	e.mu.Unlock()
	e.log.Info("joining consumer group", zap.String("group", e.cfg.GroupID), zap.Strings("topics", topics))
	return e.group.Go("group-loop", func(ctx context.Context) error { return e.run(ctx, cg) })
}

// ensureRetryTopics creates missing retry topics, with as many partitions
// as the topic they serve: a consumer group only sees topics that exist
// when it joins.
func (e *Engine) ensureRetryTopics(conn connection) error {
	var want []kafkago.TopicConfig
	client := &kafkago.Client{Addr: kafkago.TCP(e.cluster.Addrs()...), Transport: conn.transport(e.cfg.GroupID + "-admin"), Timeout: 30 * time.Second}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	ctx := context.Background()
	for _, sub := range e.subs {
		if sub.retryOf == nil {
			continue
		}
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{sub.retryOf.Topic}})
		if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
			return fmt.Errorf("retry topic %s: cannot read partitions of %s: %v", sub.Topic, sub.retryOf.Topic, errors.Join(err, topicErr(md)))
		}
		want = append(want, kafkago.TopicConfig{Topic: sub.Topic, NumPartitions: len(md.Topics[0].Partitions), ReplicationFactor: -1})
	}
	if len(want) == 0 {
		return nil
	}
	res, err := client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: want})
	if err != nil {
		return fmt.Errorf("create retry topics: %w", err)
	}
	names := make([]string, 0, len(want))
	for topic, terr := range res.Errors {
		if terr != nil && !errors.Is(terr, kafkago.TopicAlreadyExists) {
			return fmt.Errorf("create retry topic %s: %w", topic, terr)
		}
		names = append(names, topic)
	}
	// A topic is usable once every partition has a leader; until then the
	// first reschedule would fail and re-run its handler.
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
		if err == nil && allLed(md, len(names)) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("retry topics %v have no leaders after 30s: %v", names, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allLed reports whether md holds n topics whose partitions all have a leader.
func allLed(md *kafkago.MetadataResponse, n int) bool {
	if len(md.Topics) != n {
		return false
	}
	for _, t := range md.Topics {
		if t.Error != nil || len(t.Partitions) == 0 {
			return false
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return false
			}
		}
	}
	return true
}

func topicErr(md *kafkago.MetadataResponse) error {
	if md == nil || len(md.Topics) == 0 {
		return errors.New("no metadata")
	}
	return md.Topics[0].Error
}

// run hands each new generation to startGeneration until the group closes.
func (e *Engine) run(ctx context.Context, cg *kafkago.ConsumerGroup) error {
	for {
		gen, err := cg.Next(ctx)
		switch {
		case err == nil:
			e.startGeneration(gen)
		case errors.Is(err, kafkago.ErrGroupClosed), ctx.Err() != nil:
			return nil
		default:
			// kafka-go retries joining by itself, backing off; each failed
			// attempt surfaces here once.
			e.log.Warn("consumer group join failed; retrying", zap.String("group", e.cfg.GroupID), zap.Error(err))
		}
	}
}

// Stop drains and leaves the group within ctx. Safe to call more than once.
func (e *Engine) Stop(ctx context.Context) error {
	e.stopping.Store(true)
	e.mu.Lock()
	cg := e.cg
	e.mu.Unlock()
	var errs []error
	if cg != nil {
		// Close ends the current generation: every partition drains, the
		// committer makes its final commit, then the member leaves.
		if err := closeWithin(remaining(ctx, e.cfg.CloseTimeout), "consumer group", cg.Close); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.group.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Failed is closed when the engine's group loop fails.
func (e *Engine) Failed() <-chan struct{} { return e.group.Failed() }

// Err says why the engine failed.
func (e *Engine) Err() error { return e.group.Err() }

// Ready reports nil once the engine has joined the group and until it stops.
func (e *Engine) Ready() error {
	switch {
	case e.stopping.Load():
		return errors.New("consumer is stopping")
	case !e.joined.Load():
		return fmt.Errorf("consumer has not yet joined group %s", e.cfg.GroupID)
	}
	return nil
}

// Live reports whether the engine makes progress: it returns an error
// naming every partition that holds work and has completed nothing for
// StallTimeout, or has more zombie handler calls than MaxZombies, and when
// the engine's own background work failed. Slow progress is progress.
func (e *Engine) Live() error {
	if err := e.group.Err(); err != nil {
		return fmt.Errorf("consumer failed: %w", err)
	}
	now := time.Now()
	var problems []string
	e.metrics.live.each(func(p *partitionRun) {
		if offset, idle, stalled := p.stall(now, e.cfg.StallTimeout); stalled {
			problems = append(problems, fmt.Sprintf("%s/%d stalled at offset %d: handler %s completed nothing for %s (stall_timeout %s)",
				p.topic, p.partition, offset, p.sub.Handler, idle.Round(time.Millisecond), e.cfg.StallTimeout))
		}
		if z := p.zombies.Load(); z > int32(e.cfg.MaxZombies) {
			problems = append(problems, fmt.Sprintf("%s/%d: %d zombie calls of handler %s ignore their ended context (max_zombies %d); fetching stopped",
				p.topic, p.partition, z, p.sub.Handler, e.cfg.MaxZombies))
		}
	})
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// remaining is how long is left before ctx's deadline, or fallback.
func remaining(ctx context.Context, fallback time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d > 0 {
			return d
		}
		return time.Millisecond
	}
	return fallback
}

// kafkaLogger routes kafka-go's error log to zap, so its errors are never
// silent. Lines caused by our own cancellation (at revoke or stop) are
// expected and dropped.
func kafkaLogger(log *zap.Logger) kafkago.LoggerFunc {
	sugar := log.Sugar()
	return func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		if strings.HasSuffix(line, context.Canceled.Error()) {
			return
		}
		sugar.Warn(line)
	}
}
