package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// runFeed starts a feed of cfg and fault, on the embedded broker or not,
// and stops it when the test ends.
func runFeed(t *testing.T, cfg DemoConfig, fault string, embedded bool, pub Publisher) (*DemoFeed, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	svc := DefaultConfig()
	svc.DemoFault = fault
	feed := NewDemoFeed(cfg, svc, Platform{Embedded: embedded, MaxInflight: 1000}, NewDemoOrders(svc), pub, zap.New(core))
	if err := feed.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
		defer cancel()
		if err := feed.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return feed, logs
}

// TestDemoFeedPublishesOrdersWithTheMalformedShare: on the embedded
// broker the feed publishes demo orders to the input topic through the
// publisher, keyed by customer, a bad_rate share of them malformed.
func TestDemoFeedPublishesOrdersWithTheMalformedShare(t *testing.T) {
	pub := &handlertest.Publisher{}
	runFeed(t, DemoConfig{Rate: 5000, BadRate: 0.1}, "", true, pub)
	consumertest.Eventually(t, "2,000 orders published", func() bool { return len(pub.Published()) >= 2000 })
	bad := 0
	for _, m := range pub.Published() {
		if m.Topic != "orders" {
			t.Fatalf("published to %q, want the input topic", m.Topic)
		}
		o, err := decodeOrder(m.Value)
		if err != nil {
			bad++
			continue
		}
		if string(m.Key) != o.CustomerID {
			t.Fatalf("key %s, customer %s", m.Key, o.CustomerID)
		}
	}
	if n := len(pub.Published()); bad < n/20 || bad > n/5 {
		t.Fatalf("%d of %d orders malformed, want about 10%%", bad, n)
	}
}

// TestDemoFeedErrorPathDefaultsToOnePercentMalformed: the errorpath fault
// (F3) needs malformed orders: 1% unless demo.bad_rate says otherwise.
func TestDemoFeedErrorPathDefaultsToOnePercentMalformed(t *testing.T) {
	for _, tt := range []struct {
		fault string
		rate  float64
		want  float64
	}{{"errorpath", 0, 0.01}, {"errorpath", 0.2, 0.2}, {"slow", 0, 0}, {"", 0.3, 0.3}} {
		feed := NewDemoFeed(DemoConfig{Rate: 1, BadRate: tt.rate}, Config{DemoFault: tt.fault}, Platform{Embedded: true}, nil, nil, zap.NewNop())
		if feed.badRate != tt.want {
			t.Errorf("fault %q, demo.bad_rate %v: malformed share %v, want %v", tt.fault, tt.rate, feed.badRate, tt.want)
		}
	}
}

// TestDemoFeedRunsOnlyOnTheEmbeddedBroker: on real brokers, or at rate 0,
// the feed says it is off and starts nothing.
func TestDemoFeedRunsOnlyOnTheEmbeddedBroker(t *testing.T) {
	for name, tt := range map[string]struct {
		rate     int
		embedded bool
	}{"real brokers": {200, false}, "rate 0": {0, true}} {
		t.Run(name, func(t *testing.T) {
			feed, logs := runFeed(t, DemoConfig{Rate: tt.rate}, "", tt.embedded, &handlertest.Publisher{})
			if logs.FilterMessage("demo producer off").Len() != 1 || feed.on {
				t.Fatalf("the feed is on: %v", logs.All())
			}
		})
	}
}

// TestDemoFeedLogsAFailedPublishAndGoesOn: a failed publish is a warning,
// not a failure of the component: the feed is traffic, nobody's data.
func TestDemoFeedLogsAFailedPublishAndGoesOn(t *testing.T) {
	feed, logs := runFeed(t, DemoConfig{Rate: 1000}, "", true, &handlertest.Publisher{Fail: func(int, []message.Message) error { return errors.New("broker unavailable") }})
	consumertest.Eventually(t, "two failed publishes logged", func() bool { return logs.FilterMessage("demo produce failed").Len() >= 2 })
	select {
	case <-feed.Failed():
		t.Fatalf("the feed failed: %v", feed.Err())
	case <-time.After(0):
	}
}
