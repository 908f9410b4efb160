package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/message/middleware"
	"github.com/consumerkit/consumerkit/pkg/registry"
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
	// letters writes dead letters and retry-topic letters.
	letters letterWriter
	// openReader opens a partition's reader; tests replace it.
	openReader func(topic string, partition int) partitionReader

	mu       sync.Mutex
	cg       *kafkago.ConsumerGroup
	conn     connection
	joined   atomic.Bool
	stopping atomic.Bool
	// stopBy is the deadline Stop was given (unix ns, 0 for none): the
	// drain is shortened to fit it.
	stopBy atomic.Int64
	// abandoned counts handler calls still running that a partition gave
	// up waiting for at revoke or shutdown.
	abandoned atomic.Int32
}

// subscription is a Subscription bound to its handler and metrics.
type subscription struct {
	registry.Subscription
	// call runs one attempt: the service's middleware, Recover, the
	// handler.
	call    message.Call
	isBatch bool
	// deadLetterTopic receives finally failed messages; "" when disabled.
	deadLetterTopic string
	// rescheduleTo is the retry topic that failed messages go to while
	// rounds are left; "" when disabled.
	rescheduleTo string
	// retryOf is the subscription whose retry topic this one consumes.
	retryOf *subscription
	metrics subscriptionMetrics
	batches batchMetrics
	log     *zap.Logger
	// labels are set on every worker goroutine, and so inherited by every
	// goroutine the handler starts: leaks are attributed to their handler.
	// Handler contexts carry them too.
	labels context.Context
}

// NewEngine binds every subscription to its registered handler, wrapped in
// the service's middleware and Recover (see package middleware): one call
// chain per subscription, for per-message and batch handlers alike. It
// returns an error, listing every problem, when a handler is missing or is
// of the wrong kind for its subscription. It starts nothing.
func NewEngine(cfg Config, cluster *Cluster, handlers *registry.Registry, metrics *Metrics, log *zap.Logger) (*Engine, error) {
	e := &Engine{
		cfg: cfg, cluster: cluster, metrics: metrics,
		subs: map[string]*subscription{}, log: log.Named("engine"),
		group:   lifecycle.NewGroup("engine"),
		letters: &letterProducer{producer: producer{name: "letters"}},
	}
	e.openReader = e.openKafkaReader
	cfg.Subscriptions = handlers.Subscriptions(cfg.Subscriptions)
	errs := cfg.validateSubscriptions()
	for _, s := range cfg.Subscriptions {
		s = withDefaults(s, cfg)
		entry, ok := handlers.Lookup(s.Handler)
		wantBatch := s.Batch.Size > 0
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("subscription %s: no handler is registered as %q (registered: %v)", s.Topic, s.Handler, handlers.Names()))
			continue
		case wantBatch && !entry.Batch:
			errs = append(errs, fmt.Errorf("subscription %s: %q is a per-message handler, but batch.size is set: register a batch handler or remove batch", s.Topic, s.Handler))
			continue
		case !wantBatch && entry.Batch:
			errs = append(errs, fmt.Errorf("subscription %s: %q is a batch handler, but batch.size is not set", s.Topic, s.Handler))
			continue
		}
		sm := metrics.forSubscription(s.Topic, s.Handler)
		chain := append(entry.Middleware[:len(entry.Middleware):len(entry.Middleware)], middleware.Recover(sm.panics.Inc))
		sub := &subscription{Subscription: s, call: message.Chain(entry.Call, chain...), isBatch: entry.Batch,
			metrics: sm, log: e.log.With(zap.String("handler", s.Handler), zap.String("topic", s.Topic)),
			labels: pprof.WithLabels(context.Background(), pprof.Labels(message.ProfileLabelHandler, s.Handler, "topic", s.Topic))}
		if s.DeadLetter.Enabled {
			sub.deadLetterTopic = s.DeadLetter.Topic
		}
		if entry.Batch {
			sub.batches = metrics.forBatches(s.Handler)
		}
		if s.RetryTopic.Enabled {
			sub.rescheduleTo = s.RetryTopic.Topic
		}
		e.subs[s.Topic] = sub
		if s.RetryTopic.Enabled {
			// The retry topic is consumed by the same handler and chain,
			// under the same policy; its messages wait until due in their
			// own partition's worker and go back to it for later rounds.
			rs := *sub
			rs.Topic = s.RetryTopic.Topic
			rs.retryOf = sub
			rs.metrics = metrics.forSubscription(rs.Topic, s.Handler)
			rs.log = e.log.With(zap.String("handler", s.Handler), zap.String("topic", rs.Topic))
			e.subs[rs.Topic] = &rs
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cluster.AddTopics(e.topics(handlers.Writes())...)
	return e, nil
}

// topics lists what the engine reads and writes: every subscribed topic
// (retry topics included), every dead-letter topic, and writes.
func (e *Engine) topics(writes []string) []string {
	topics := slices.Clone(writes)
	for topic, sub := range e.subs {
		topics = append(topics, topic)
		if sub.deadLetterTopic != "" {
			topics = append(topics, sub.deadLetterTopic)
		}
	}
	return topics
}

// Name identifies the engine in lifecycle logs.
func (e *Engine) Name() string { return "consumer" }

// Start opens the letter writer, creates missing retry topics and joins
// the consumer group in the background. It gives up when ctx ends (a
// signal during start).
func (e *Engine) Start(ctx context.Context) error {
	if len(e.subs) == 0 {
		// A group cannot be joined without topics. A service with no
		// handler yet idles, ready and live, and says why.
		e.log.Warn("no subscriptions: register a handler in internal/service/handlers.go")
		e.joined.Store(true)
		return nil
	}
	conn, err := newConnection(e.cfg)
	if err != nil {
		return err
	}
	topics := make([]string, 0, len(e.subs))
	for topic := range e.subs {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	if err := e.ensureRetryTopics(ctx, conn); err != nil {
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
	if lp, ok := e.letters.(*letterProducer); ok {
		lp.open(e.cluster.Addrs(), conn, e.cfg.GroupID, e.cfg.AutoCreateTopics)
	}
	e.mu.Lock()
	e.cg, e.conn = cg, conn
	e.mu.Unlock()
	e.log.Info("joining consumer group", zap.String("group", e.cfg.GroupID), zap.Strings("topics", topics))
	return e.group.Go("group-loop", func(ctx context.Context) error { return e.run(ctx, cg) })
}

// ensureRetryTopics creates missing retry topics, with as many partitions
// as the topic they serve, and waits until each has leaders: a consumer
// group only sees topics that exist when it joins, and a reschedule to a
// topic without leaders would fail. It gives up when ctx ends.
func (e *Engine) ensureRetryTopics(ctx context.Context, conn connection) error {
	var want []kafkago.TopicConfig
	tr := conn.transport(e.cfg.GroupID + "-admin")
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(e.cluster.Addrs()...), Transport: tr, Timeout: 30 * time.Second}
	for _, sub := range e.subs {
		if sub.retryOf == nil {
			continue
		}
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{sub.retryOf.Topic}})
		if err != nil {
			return fmt.Errorf("retry topic %s: read partitions of %s: %w", sub.Topic, sub.retryOf.Topic, err)
		}
		if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
			return fmt.Errorf("retry topic %s: read partitions of %s: %w", sub.Topic, sub.retryOf.Topic, topicErr(md))
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
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
		if err == nil && allLed(md, len(names)) {
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return fmt.Errorf("retry topics %v have no leaders yet: %w", names, errors.Join(context.Cause(ctx), err))
		}
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
	if err := md.Topics[0].Error; err != nil {
		return err
	}
	return errors.New("no partitions")
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

// Stop drains and leaves the group within ctx: the drain is shortened so
// that it, the abandonment of calls that ignore their context
// (ZombieGrace), the final commit and the close fit before ctx's deadline.
// Then it closes the letter writer. Safe to call more than once.
func (e *Engine) Stop(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		e.stopBy.Store(dl.UnixNano())
	}
	e.stopping.Store(true)
	e.mu.Lock()
	cg := e.cg
	e.mu.Unlock()
	var errs []error
	if cg != nil {
		// Close ends the current generation: every partition drains, the
		// committer makes its final commit, then the member leaves.
		if err := closeWithin(remaining(ctx, e.cfg.DrainTimeout+e.cfg.ZombieGrace+2*e.cfg.CloseTimeout), "consumer group", cg.Close); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.group.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if lp, ok := e.letters.(*letterProducer); ok {
		if err := lp.close(remaining(ctx, e.cfg.CloseTimeout)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// drainTimeout is how long in-flight work may finish once a generation
// ends: DrainTimeout, shortened while stopping so that the rest of Stop
// still fits its deadline.
func (e *Engine) drainTimeout() time.Duration {
	d := e.cfg.DrainTimeout
	if by := e.stopBy.Load(); by != 0 && e.stopping.Load() {
		left := time.Until(time.Unix(0, by)) - e.cfg.ZombieGrace - e.cfg.CloseTimeout
		d = max(min(d, left), 0)
	}
	return d
}

// Failed is closed when the engine's group loop fails.
func (e *Engine) Failed() <-chan struct{} { return e.group.Failed() }

// Err says why the engine failed.
func (e *Engine) Err() error { return e.group.Err() }

// Ready reports nil once the engine has joined the group (with no
// subscriptions, once started) and until it stops.
func (e *Engine) Ready() error {
	switch {
	case e.stopping.Load():
		return errors.New("consumer is stopping")
	case !e.joined.Load():
		return fmt.Errorf("consumer has not yet joined group %s", e.cfg.GroupID)
	}
	return nil
}

// Live reports whether a restart could help: it returns an error naming
// every partition that cannot be consumed, or whose commit point has not
// moved for StallTimeout while it holds work for a reason the engine
// cannot name (a stuck handler), or that has more zombie calls than
// MaxZombies; and when more than MaxZombies calls abandoned at revoke or
// shutdown still run, or the engine's own background work failed.
//
// A partition blocked by a known cause that a restart cannot fix (a
// dead-letter or retry-topic write that fails) is not a liveness failure:
// Blocked reports it. Slow progress is progress.
func (e *Engine) Live() error {
	if err := e.group.Err(); err != nil {
		return fmt.Errorf("consumer failed: %w", err)
	}
	now := time.Now()
	var problems []string
	e.metrics.live.each(func(p *partitionRun) {
		problems = append(problems, p.problems(now)...)
	})
	if n := e.abandoned.Load(); n > int32(e.cfg.MaxZombies) {
		problems = append(problems, fmt.Sprintf("%d handler calls abandoned at revoke or shutdown still run, ignoring their ended context (max_zombies %d): only a restart frees them",
			n, e.cfg.MaxZombies))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Blocked describes every partition held by a known cause that a restart
// cannot fix, or returns nil.
func (e *Engine) Blocked() error {
	now := time.Now()
	var blocked []string
	e.metrics.live.each(func(p *partitionRun) {
		if b := p.blockedHead(); b != nil {
			blocked = append(blocked, b.describe(p, now))
		}
	})
	if len(blocked) == 0 {
		return nil
	}
	sort.Strings(blocked)
	return errors.New(strings.Join(blocked, "; "))
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
