package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
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
	brokers conn.Brokers
	subs    map[string]*subscription // by topic
	metrics *Metrics
	// live are the partitions this engine consumes right now.
	live *livePartitions
	log  *zap.Logger
	// group runs the engine's background work: the group loop.
	group *lifecycle.Group
	// letters writes dead letters and retry-topic letters.
	letters letterWriter
	// openReader opens a partition's reader, which hands the errors it
	// retries to report; tests replace it.
	openReader func(topic string, partition int, report func(line string)) partitionReader
	// sessions is the session fetcher (kafka.fetcher: session); it runs
	// nothing under the Reader.
	sessions *brokerFetcher
	// groupNet is the group's trouble reaching the brokers: joining,
	// heartbeats, commits (see NetworkState).
	groupNet netTrouble

	mu       sync.Mutex
	cg       *kafkago.ConsumerGroup
	conn     conn.Settings
	joined   atomic.Bool
	stopping atomic.Bool
	// stopBy is the deadline Stop was given (unix ns, 0 for none): the
	// drain is shortened to fit it.
	stopBy atomic.Int64
	// abandoned counts handler calls still running that a partition gave
	// up waiting for at revoke or shutdown.
	abandoned atomic.Int32
}

// NewEngine binds every subscription to its registered handler, wrapped in
// the service's middleware and Recover (see package middleware): one call
// chain per subscription, for per-message and batch handlers alike. The
// subscriptions are cfg.Subscriptions resolved against the handlers'
// registered defaults. It returns an error, listing every problem, when a
// subscription is invalid or its handler is missing or of the wrong kind.
// It starts nothing; brokers is asked where the brokers are at Start.
func NewEngine(cfg Config, brokers conn.Brokers, handlers *registry.Registry, metrics *Metrics, log *zap.Logger) (*Engine, error) {
	e := &Engine{
		cfg: cfg, brokers: brokers, metrics: metrics,
		subs: map[string]*subscription{}, live: newLivePartitions(), log: log.Named("engine"),
		group:   lifecycle.NewGroup("engine"),
		letters: &letterProducer{Producer: publish.NewProducer("letters")},
	}
	e.openReader = e.openKafkaReader
	e.sessions = newBrokerFetcher(brokerFetchConfig{
		brokers: brokers.Addrs, settings: e.connSettings, maxWait: cfg.FetchMaxWait,
		partitionMaxBytes: int32(min(cfg.MaxInflightBytes, 1<<20)), requestMaxBytes: maxRequestBytes,
		requestTimeout: requestTimeout,
	})
	if cfg.Fetcher == FetcherSession {
		e.openReader = e.openSessionReader
	}
	cfg.Subscriptions = handlers.Subscriptions(cfg.Subscriptions)
	errs := cfg.validateSubscriptions()
	for _, s := range cfg.Subscriptions {
		if err := e.bind(withDefaults(s, cfg), handlers); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	metrics.live.report(e.live)
	if d, ok := brokers.(topicDeclarer); ok {
		d.AddTopics(e.topics(handlers.Writes())...)
	}
	return e, nil
}

// topicDeclarer is a source of brokers that creates topics when it
// starts: the embedded broker, on which a consumer group sees only topics
// that exist when it joins.
type topicDeclarer interface{ AddTopics(topics ...string) }

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

// Start checks that the brokers take the TLS and SASL settings (see
// conn.Settings.Check: it fails when they are rejected), opens the letter
// writer, creates missing retry topics and joins the consumer group in
// the background. It gives up when ctx ends (a signal during start).
func (e *Engine) Start(ctx context.Context) error {
	if len(e.subs) == 0 {
		// A group cannot be joined without topics. A service with no
		// handler yet idles, ready and live, and says why.
		e.log.Warn("no subscriptions: register a handler in internal/service/handlers.go")
		e.joined.Store(true)
		return nil
	}
	settings, err := conn.New(e.cfg.TLS, e.cfg.SASL)
	if err != nil {
		return err
	}
	// Refused credentials or certificates never get better: the service
	// stops, naming the cause, rather than retry joining forever. A broker
	// that is only not there yet may come: the group keeps trying.
	if err := settings.Check(ctx, e.brokers.Addrs()); err != nil {
		if errors.Is(err, conn.ErrRejected) {
			return err
		}
		e.log.Warn("brokers not reachable at start; the consumer group keeps trying", zap.Error(err))
	}
	topics := make([]string, 0, len(e.subs))
	for topic := range e.subs {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	if err := e.ensureRetryTopics(ctx, settings); err != nil {
		return err
	}
	start := kafkago.FirstOffset
	if e.cfg.StartOffset == "latest" {
		start = kafkago.LastOffset
	}
	cg, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                e.cfg.GroupID,
		Brokers:           e.brokers.Addrs(),
		Dialer:            settings.Dialer(),
		Topics:            topics,
		HeartbeatInterval: e.cfg.HeartbeatInterval,
		SessionTimeout:    e.cfg.SessionTimeout,
		RebalanceTimeout:  e.cfg.RebalanceTimeout,
		JoinGroupBackoff:  e.cfg.JoinGroupBackoff,
		StartOffset:       start,
		ErrorLogger:       kafkaLogger(e.log.Named("group"), e.groupTrouble),
		Timeout:           10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", e.cfg.GroupID, err)
	}
	if lp, ok := e.letters.(*letterProducer); ok {
		lp.open(e.brokers.Addrs(), settings, e.cfg.GroupID, e.cfg.AutoCreateTopics)
	}
	e.mu.Lock()
	e.cg, e.conn = cg, settings
	e.mu.Unlock()
	e.log.Info("joining consumer group", zap.String("group", e.cfg.GroupID), zap.Strings("topics", topics))
	return e.group.Go("group-loop", func(ctx context.Context) error { return e.run(ctx, cg) })
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
			e.groupTrouble(err.Error())
		}
	}
}

// connSettings are the connection settings Start made.
func (e *Engine) connSettings() conn.Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conn
}

// groupTrouble records an error of the group's clients (see NetworkState).
func (e *Engine) groupTrouble(line string) { e.groupNet.failed(e.brokers.Addrs(), line, time.Now()) }

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
		if err := conn.CloseWithin(conn.Remaining(ctx, e.cfg.DrainTimeout+e.cfg.ZombieGrace+2*e.cfg.CloseTimeout), "consumer group", cg.Close); err != nil {
			errs = append(errs, err)
		}
	}
	// Every partition closed its reader when the generation ended; this
	// stops what a close given up on (CloseWithin) left running.
	if err := e.sessions.shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("session fetcher: %w", err))
	}
	if err := e.group.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if lp, ok := e.letters.(*letterProducer); ok {
		if err := lp.Close(conn.Remaining(ctx, e.cfg.CloseTimeout)); err != nil {
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
