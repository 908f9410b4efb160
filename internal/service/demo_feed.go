package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// DemoConfig shapes the demo feed, which produces demo orders to the input
// topic on the embedded broker.
type DemoConfig struct {
	// Rate is orders per second; 0 turns the feed off. It runs only on
	// the embedded broker: real clusters are fed by real producers.
	Rate int `yaml:"rate"`
	// BadRate is the fraction of orders sent malformed (cut in half), to
	// watch them go to the dead-letter topic while the rest flow.
	BadRate float64 `yaml:"bad_rate"`
}

// MalformedShare is the share of orders the feed sends malformed under
// fault: BadRate, except that the errorpath fault (F3) needs malformed
// orders to show, so with it 1% are unless BadRate says otherwise.
func (c DemoConfig) MalformedShare(fault string) float64 {
	if fault == "errorpath" && c.BadRate == 0 {
		return 0.01
	}
	return c.BadRate
}

// DefaultDemoConfig produces 200 orders a second.
func DefaultDemoConfig() DemoConfig { return DemoConfig{Rate: 200} }

// Validate returns every problem with the configuration.
func (c DemoConfig) Validate() []error {
	var errs []error
	if c.Rate < 0 || c.Rate > 100_000 {
		errs = append(errs, fmt.Errorf("demo.rate must be between 0 and 100000 messages a second, got %d", c.Rate))
	}
	if c.BadRate < 0 || c.BadRate > 1 {
		errs = append(errs, fmt.Errorf("demo.bad_rate must be between 0 and 1, got %g", c.BadRate))
	}
	return errs
}

// DemoFeed produces demo orders at a steady rate while it runs, through
// the service's Publisher, so the example has traffic on a fresh machine.
// It is a component: started last and stopped first, so the publisher
// outlives it.
type DemoFeed struct {
	rate    int
	badRate float64
	on      bool
	orders  *DemoOrders
	pub     Publisher
	log     *zap.Logger
	group   *lifecycle.Group
}

// NewDemoFeed describes the feed; it produces nothing until Start.
func NewDemoFeed(cfg DemoConfig, svc Config, p Platform, orders *DemoOrders, pub Publisher, log *zap.Logger) *DemoFeed {
	return &DemoFeed{rate: cfg.Rate, badRate: cfg.MalformedShare(svc.DemoFault), on: cfg.Rate > 0 && p.Embedded, orders: orders, pub: pub,
		log: log.Named("demo"), group: lifecycle.NewGroup("demo")}
}

// Name identifies the component in lifecycle logs.
func (d *DemoFeed) Name() string { return "demo-producer" }

// Start begins producing when the rate is positive on the embedded broker.
func (d *DemoFeed) Start(context.Context) error {
	if !d.on {
		d.log.Info("demo producer off", zap.Int("rate", d.rate))
		return nil
	}
	d.log.Info("demo producer started", zap.String("topic", d.orders.Topic()), zap.Int("per_second", d.rate),
		zap.Float64("malformed_share", d.badRate))
	return d.group.Go("produce", d.produce)
}

// produce publishes, every tick, as many orders as the rate allows for
// the time elapsed; after a stall it does not burst more than one
// second's worth. A failed publish is logged and its orders skipped: the
// feed is traffic, not data anyone relies on.
func (d *DemoFeed) produce(ctx context.Context) error {
	const tick = 50 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	var seq uint64
	began := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		due := uint64(time.Since(began).Seconds() * float64(d.rate))
		if due > seq+uint64(d.rate) {
			seq = due - uint64(d.rate)
		}
		batch := make([]message.Message, 0, due-seq)
		for ; seq < due; seq++ {
			batch = append(batch, d.order(seq))
		}
		if len(batch) == 0 {
			continue
		}
		if err := d.pub.Publish(ctx, batch...); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Warn("demo produce failed", zap.Int("messages", len(batch)), zap.Error(err))
		}
	}
}

// order is order number seq, malformed for a deterministic, evenly spread
// badRate share of them.
func (d *DemoFeed) order(seq uint64) message.Message {
	k, v := d.orders.Next(seq)
	if d.badRate > 0 && (seq*2654435761)%1_000_000 < uint64(d.badRate*1_000_000) {
		v = v[:len(v)/2]
	}
	return message.Message{Topic: d.orders.Topic(), Key: k, Value: v}
}

// Stop ends production.
func (d *DemoFeed) Stop(ctx context.Context) error { return d.group.Stop(ctx) }

// Failed is closed when the producing loop fails.
func (d *DemoFeed) Failed() <-chan struct{} { return d.group.Failed() }

// Err says why the feed failed.
func (d *DemoFeed) Err() error { return d.group.Err() }
