package kafka

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
)

// Metrics are the engine's Prometheus metrics, named as in DESIGN.md. Built
// once per process; label children used per message are resolved once per
// subscription or partition, never on the hot path.
type Metrics struct {
	messages        *prometheus.CounterVec
	handlerDuration *prometheus.HistogramVec
	commits         *prometheus.CounterVec
	rebalances      prometheus.Counter
	fetchPaused     *prometheus.GaugeVec
	batchSize       *prometheus.HistogramVec
	batchFlushes    *prometheus.CounterVec
	live            *liveCollector
	panics          *prometheus.CounterVec
	deadLetterErrs  *prometheus.CounterVec
	retryTopicErrs  *prometheus.CounterVec
	zombies         prometheus.Gauge
	fetched         *prometheus.CounterVec
	released        *prometheus.CounterVec
}

// NewMetrics registers the engine's metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_messages_total",
			Help: "Messages that reached their one recorded outcome: success, retried (succeeded after failures), dead_lettered, failed, rescheduled (to a retry topic).",
		}, []string{"topic", "handler", "outcome"}),
		handlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kafka_consumer_handler_duration_seconds",
			Help:    "Duration of one handler call (one attempt: one message, or one batch for batch handlers).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"topic", "handler"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_commits_total",
			Help: "Offset commit requests by result (success, error).",
		}, []string{"result"}),
		rebalances: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kafka_consumer_rebalances_total",
			Help: "Consumer group generations this instance joined.",
		}),
		fetchPaused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafka_consumer_fetch_paused",
			Help: "1 while a partition's reader waits: its offset window (max_inflight, max_inflight_bytes) or a worker's queue is full, or it has more zombie calls than max_zombies.",
		}, []string{"topic", "partition"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kafka_consumer_batch_size",
			Help:    "Messages per batch handed to a batch handler.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}, []string{"handler"}),
		batchFlushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_batch_flushes_total",
			Help: "Batches flushed, by reason: size, bytes, linger, revoke, shutdown.",
		}, []string{"handler", "reason"}),
		live: newLiveCollector(),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_handler_panics_total",
			Help: "Handler panics recovered (each is then retried like any failure).",
		}, []string{"topic", "handler"}),
		deadLetterErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_dead_letter_errors_total",
			Help: "Failed writes to a dead-letter topic, by the topic consumed; the message stays uncommitted and the write is retried (kafka_consumer_partition_blocked says why).",
		}, []string{"topic"}),
		retryTopicErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_retry_topic_errors_total",
			Help: "Failed writes to a retry topic, by the topic consumed; the message stays uncommitted and the write is retried (kafka_consumer_partition_blocked says why).",
		}, []string{"topic"}),
		zombies: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kafka_consumer_zombie_handlers",
			Help: "Handler calls still running after their context ended (deadline, revoke or shutdown) by more than zombie_grace.",
		}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_fetched_total",
			Help: "Messages fetched, counted once admitted to their partition's in-flight window. Per partition, fetched = messages_total (every outcome) + inflight_messages + released_total.",
		}, []string{"topic", "partition"}),
		released: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_released_total",
			Help: "Messages fetched but left unfinished and uncommitted at revoke or shutdown, for redelivery.",
		}, []string{"topic", "partition"}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.handlerDuration, m.commits, m.rebalances, m.fetchPaused, m.batchSize, m.batchFlushes, m.live, m.panics, m.deadLetterErrs, m.retryTopicErrs, m.zombies, m.fetched, m.released} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register engine metrics: %w", err)
		}
	}
	return m, nil
}

// subscriptionMetrics are the label children of one subscription.
type subscriptionMetrics struct {
	outcomes outcomeCounters
	duration prometheus.Observer
	panics   prometheus.Counter
	// letterErrors counts failed letter writes, by handoffTarget.
	letterErrors [2]prometheus.Counter
}

func (m *Metrics) forSubscription(topic, handler string) subscriptionMetrics {
	s := subscriptionMetrics{
		duration: m.handlerDuration.WithLabelValues(topic, handler),
		panics:   m.panics.WithLabelValues(topic, handler),
		letterErrors: [2]prometheus.Counter{
			toDeadLetter: m.deadLetterErrs.WithLabelValues(topic),
			toRetryTopic: m.retryTopicErrs.WithLabelValues(topic),
		},
	}
	for _, o := range delivery.Outcomes() {
		s.outcomes[outcomeIndex(o)] = m.messages.WithLabelValues(topic, handler, string(o))
	}
	return s
}

// outcomeCounters are a subscription's kafka_consumer_messages_total
// children, one per outcome at its outcomeIndex: an array, not a map,
// because one is counted per message (a map lookup hashed the outcome's
// name each time).
type outcomeCounters [5]prometheus.Counter

// outcomeIndex is o's place in outcomeCounters.
func outcomeIndex(o delivery.Outcome) int {
	switch o {
	case delivery.OutcomeSuccess:
		return 0
	case delivery.OutcomeRetried:
		return 1
	case delivery.OutcomeDeadLettered:
		return 2
	case delivery.OutcomeFailed:
		return 3
	case delivery.OutcomeRescheduled:
		return 4
	}
	panic(fmt.Sprintf("no counter for outcome %q", o))
}

// partitionMetrics are the label children of one topic partition.
type partitionMetrics struct {
	paused   prometheus.Gauge
	fetched  prometheus.Counter
	released prometheus.Counter
}

func (m *Metrics) forPartition(topic string, partition int) partitionMetrics {
	p := strconv.Itoa(partition)
	return partitionMetrics{
		paused:   m.fetchPaused.WithLabelValues(topic, p),
		fetched:  m.fetched.WithLabelValues(topic, p),
		released: m.released.WithLabelValues(topic, p),
	}
}

// batchMetrics are the label children of one batch handler.
type batchMetrics struct {
	size    prometheus.Observer
	flushes map[string]prometheus.Counter
}

func (m *Metrics) forBatches(handler string) batchMetrics {
	b := batchMetrics{size: m.batchSize.WithLabelValues(handler), flushes: map[string]prometheus.Counter{}}
	for _, r := range []string{"size", "bytes", "linger", "revoke", "shutdown"} {
		b.flushes[r] = m.batchFlushes.WithLabelValues(handler, r)
	}
	return b
}

func (b batchMetrics) observe(reason string, n int) {
	b.flushes[reason].Inc()
	b.size.Observe(float64(n))
}
