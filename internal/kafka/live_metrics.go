package kafka

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// liveCollector reports, at scrape time, the state of the partitions this
// instance consumes right now: lag, committed offset, and per subscription
// the age of the oldest unfinished message. Partitions register when their
// run starts and leave when it ends, so a revoked partition's series
// disappear instead of going stale. Its mutex is taken on register,
// unregister and scrape — never per message.
type liveCollector struct {
	lag       *prometheus.Desc
	committed *prometheus.Desc
	oldest    *prometheus.Desc
	inflight  *prometheus.Desc
	stalled   *prometheus.Desc
	// stallTimeout decides kafka_consumer_stalled.
	stallTimeout time.Duration

	mu    sync.Mutex
	parts map[*partitionRun]struct{}
}

func newLiveCollector() *liveCollector {
	return &liveCollector{
		stalled: prometheus.NewDesc("kafka_consumer_stalled",
			"1 while a partition holds work and has completed nothing for stall_timeout.",
			[]string{"topic", "partition"}, nil),
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
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.parts {
		part := strconv.Itoa(p.partition)
		pos := p.position.Load()
		if pos >= 0 {
			ch <- prometheus.MustNewConstMetric(c.committed, prometheus.GaugeValue, float64(pos), p.topic, part)
			if hw := p.highWater.Load(); hw >= 0 {
				ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(max(hw-pos, 0)), p.topic, part)
			}
		}
		k := subKey{p.topic, p.sub.Handler}
		inflight[k] += p.tracker.InFlight()
		stalled := 0.0
		if _, _, isStalled := p.stall(now, p.gen.engine.cfg.StallTimeout); isStalled {
			stalled = 1
		}
		ch <- prometheus.MustNewConstMetric(c.stalled, prometheus.GaugeValue, stalled, p.topic, part)
		var age time.Duration
		_, fetched, ok := p.tracker.Oldest()
		if ok {
			age = now.Sub(fetched)
		}
		if _, seen := oldest[k]; !seen || (ok && age > oldest[k]) {
			oldest[k] = age
		}
	}
	for k, age := range oldest {
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age.Seconds(), k.topic, k.handler)
		ch <- prometheus.MustNewConstMetric(c.inflight, prometheus.GaugeValue, float64(inflight[k]), k.topic, k.handler)
	}
}
