package kafka

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// liveCollector reports, at scrape time, the status of the partitions the
// engine consumes right now (its livePartitions): lag, committed offset,
// stalled and blocked partitions, and per subscription the messages in
// flight and the age of the oldest. Each value comes from the partition's
// status, as liveness and /debug/consumer read it.
type liveCollector struct {
	lag       *prometheus.Desc
	committed *prometheus.Desc
	oldest    *prometheus.Desc
	inflight  *prometheus.Desc
	stalled   *prometheus.Desc
	blocked   *prometheus.Desc

	mu sync.Mutex
	// sources are the registries of the engines these metrics serve (one
	// in a service).
	sources []*livePartitions
}

func newLiveCollector() *liveCollector {
	return &liveCollector{
		stalled: prometheus.NewDesc("kafka_consumer_stalled",
			"1 while a partition's commit point has not moved for stall_timeout while it holds work, for a reason the engine cannot name (a stuck handler): /healthz fails.",
			[]string{"topic", "partition"}, nil),
		blocked: prometheus.NewDesc("kafka_consumer_partition_blocked",
			"1 while a partition's commit point is held by a letter write that fails (reason: dead_letter_unavailable, dead_letter_rejected, retry_topic_unavailable, retry_topic_rejected). A restart cannot help, so /healthz stays green.",
			[]string{"topic", "partition", "reason"}, nil),
		lag: prometheus.NewDesc("kafka_consumer_lag",
			"Messages between this instance's committed offset and the partition's high-water mark, as last fetched.",
			[]string{"topic", "partition"}, nil),
		committed: prometheus.NewDesc("kafka_consumer_committed_offset",
			"Offset last committed by this instance (the next to consume), for partitions it owns.",
			[]string{"topic", "partition"}, nil),
		oldest: prometheus.NewDesc("kafka_consumer_oldest_inflight_age_seconds",
			"Age of the oldest fetched message not yet done (unflushed or uncommitted), per subscription.",
			[]string{"topic", "handler"}, nil),
		inflight: prometheus.NewDesc("kafka_consumer_inflight_messages",
			"Messages fetched and not yet done, per subscription.",
			[]string{"topic", "handler"}, nil),
	}
}

// report makes the collector report the partitions of l from now on.
func (c *liveCollector) report(l *livePartitions) {
	c.mu.Lock()
	c.sources = append(c.sources, l)
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.committed
	ch <- c.oldest
	ch <- c.inflight
	ch <- c.stalled
	ch <- c.blocked
}

// Collect implements prometheus.Collector.
func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	type subKey struct{ topic, handler string }
	oldest := map[subKey]time.Duration{}
	inflight := map[subKey]int{}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	c.mu.Lock()
	sources := c.sources
	c.mu.Unlock()
	for _, live := range sources {
		live.each(func(p *partitionRun) {
			s, part := p.status(now), strconv.Itoa(p.partition)
			if s.committed >= 0 {
				gauge(c.committed, float64(s.committed), p.topic, part)
			}
			if s.hasLag {
				gauge(c.lag, float64(s.lag), p.topic, part)
			}
			gauge(c.stalled, bool01(s.stalled || s.unusable != ""), p.topic, part)
			for _, reason := range blockedReasons {
				gauge(c.blocked, bool01(s.blocked != nil && s.blocked.reason == reason), p.topic, part, reason)
			}
			k := subKey{p.topic, p.sub.Handler}
			inflight[k] += s.inFlight
			if seen, ok := oldest[k]; !ok || s.oldestAge > seen {
				oldest[k] = s.oldestAge
			}
		})
	}
	for k, age := range oldest {
		gauge(c.oldest, age.Seconds(), k.topic, k.handler)
		gauge(c.inflight, float64(inflight[k]), k.topic, k.handler)
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
