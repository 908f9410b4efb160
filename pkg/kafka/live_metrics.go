package kafka

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// liveCollector reports, at scrape time, the state of the partitions this
// instance consumes right now: lag, committed offset, stalled and blocked
// partitions, and per subscription the messages in flight and the age of
// the oldest. Partitions register when their run starts and leave when it
// ends, so a revoked partition's series disappear instead of going stale.
// Its mutex is taken on register, unregister and scrape — never per
// message.
type liveCollector struct {
	lag       *prometheus.Desc
	committed *prometheus.Desc
	oldest    *prometheus.Desc
	inflight  *prometheus.Desc
	stalled   *prometheus.Desc
	blocked   *prometheus.Desc

	mu    sync.Mutex
	parts map[*partitionRun]struct{}
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
		parts: map[*partitionRun]struct{}{},
	}
}

func (c *liveCollector) add(p *partitionRun) {
	c.mu.Lock()
	c.parts[p] = struct{}{}
	c.mu.Unlock()
}

func (c *liveCollector) remove(p *partitionRun) {
	c.mu.Lock()
	delete(c.parts, p)
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

// each calls f for every live partition, under the collector's lock.
func (c *liveCollector) each(f func(p *partitionRun)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.parts {
		f(p)
	}
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
	c.each(func(p *partitionRun) {
		part := strconv.Itoa(p.partition)
		if pos := p.position.Load(); pos >= 0 {
			gauge(c.committed, float64(pos), p.topic, part)
			if hw := p.highWater.Load(); hw >= 0 {
				gauge(c.lag, float64(max(hw-pos, 0)), p.topic, part)
			}
		}
		k := subKey{p.topic, p.sub.Handler}
		inflight[k] += p.window.inFlight()
		h, holds := p.holding(now)
		_, stalled := p.stalled(now)
		gauge(c.stalled, bool01(stalled || p.unusable.Load() != nil), p.topic, part)
		for _, reason := range blockedReasons {
			gauge(c.blocked, bool01(holds && h.blocked() != nil && h.blocked().reason == reason), p.topic, part, reason)
		}
		var age time.Duration
		if holds {
			age = now.Sub(h.head.fetched)
		}
		if seen, ok := oldest[k]; !ok || age > seen {
			oldest[k] = age
		}
	})
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
