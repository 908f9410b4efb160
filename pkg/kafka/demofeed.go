package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// DemoConfig shapes the demo producer that feeds the example topic on the
// embedded broker.
type DemoConfig struct {
	// Rate is messages per second; 0 turns the demo producer off. It runs
	// only on the embedded broker: real clusters are fed by real producers.
	Rate int `yaml:"rate"`
	// BadRate is the fraction of messages sent malformed (cut in half), to
	// watch them go to the dead-letter topic while the rest flow.
	BadRate float64 `yaml:"bad_rate"`
}

// DefaultDemoConfig produces 200 messages a second.
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

// DemoSource makes the demo's messages; seq counts from 0.
type DemoSource interface {
	Topic() string
	Next(seq uint64) (key, value []byte)
}

// DemoFeed produces DemoSource's messages at a steady rate while it runs.
type DemoFeed struct {
	cfg     DemoConfig
	kcfg    Config
	cluster conn.Brokers
	source  DemoSource
	log     *zap.Logger
	group   *lifecycle.Group
	p       *publish.Producer
}

// NewDemoFeed describes the feed; it produces nothing until Start.
func NewDemoFeed(cfg DemoConfig, kcfg Config, cluster conn.Brokers, source DemoSource, log *zap.Logger) *DemoFeed {
	return &DemoFeed{cfg: cfg, kcfg: kcfg, cluster: cluster, source: source,
		log: log.Named("demo"), group: lifecycle.NewGroup("demo"), p: publish.NewProducer("demo producer")}
}

// Name identifies the component in lifecycle logs.
func (d *DemoFeed) Name() string { return "demo-producer" }

// Enabled reports whether Start will produce anything.
func (d *DemoFeed) Enabled() bool { return d.cfg.Rate > 0 && d.kcfg.UsesEmbedded() }

// Start begins producing when enabled.
func (d *DemoFeed) Start(context.Context) error {
	if !d.Enabled() {
		d.log.Info("demo producer off", zap.Int("rate", d.cfg.Rate), zap.Bool("embedded_broker", d.kcfg.UsesEmbedded()))
		return nil
	}
	settings, err := conn.New(d.kcfg.TLS, d.kcfg.SASL)
	if err != nil {
		return err
	}
	d.p.Open(d.cluster.Addrs(), settings, publish.ProducerOptions{ClientID: d.kcfg.GroupID + "-demo", AutoCreateTopics: true})
	d.log.Info("demo producer started", zap.String("topic", d.source.Topic()), zap.Int("per_second", d.cfg.Rate),
		zap.Float64("malformed_share", d.cfg.BadRate))
	return d.group.Go("produce", d.produce)
}

// produce writes, every tick, as many messages as the rate allows for the
// time elapsed; after a stall it does not burst more than one second's worth.
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
		due := uint64(time.Since(began).Seconds() * float64(d.cfg.Rate))
		if due > seq+uint64(d.cfg.Rate) {
			seq = due - uint64(d.cfg.Rate)
		}
		batch := make([]kafkago.Message, 0, due-seq)
		for ; seq < due; seq++ {
			k, v := d.source.Next(seq)
			if d.malformed(seq) {
				v = v[:len(v)/2]
			}
			batch = append(batch, kafkago.Message{Topic: d.source.Topic(), Key: k, Value: v})
		}
		if len(batch) == 0 {
			continue
		}
		if err := d.p.Write(ctx, batch...); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Warn("demo produce failed", zap.Int("messages", len(batch)), zap.Error(err))
		}
	}
}

// malformed picks a deterministic, evenly spread BadRate share of messages.
func (d *DemoFeed) malformed(seq uint64) bool {
	return d.cfg.BadRate > 0 && (seq*2654435761)%1_000_000 < uint64(d.cfg.BadRate*1_000_000)
}

// Stop ends production and closes the writer.
func (d *DemoFeed) Stop(ctx context.Context) error {
	return errors.Join(d.group.Stop(ctx), d.p.Close(d.kcfg.CloseTimeout))
}

// Failed is closed when the producing loop fails.
func (d *DemoFeed) Failed() <-chan struct{} { return d.group.Failed() }

// Err says why the feed failed.
func (d *DemoFeed) Err() error { return d.group.Err() }
