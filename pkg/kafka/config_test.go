package kafka

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

func problems(errs []error) string { return errors.Join(errs...).Error() }

// subscribedConfig is DefaultConfig, which subscribes nothing, with one
// batch subscription to check.
func subscribedConfig() Config {
	cfg := DefaultConfig()
	cfg.Subscriptions = []registry.Subscription{{
		Topic: "orders", Handler: "orders-enricher", Ordering: registry.OrderingPartition,
		Batch:      registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond},
		Retry:      registry.DefaultRetryPolicy(),
		DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: "orders.dlq"},
	}}
	return cfg
}

// TestValidateRejectsARetryBudgetThatCannotFit (issue 9): a message whose
// every attempt runs into its deadline must reach its outcome before its
// partition looks stalled; a configuration where it cannot is refused,
// with the arithmetic.
func TestValidateRejectsARetryBudgetThatCannotFit(t *testing.T) {
	cfg := subscribedConfig()
	cfg.StallTimeout = 15 * time.Second
	cfg.HandlerTimeout = 2 * time.Second
	cfg.Subscriptions[0].Retry = registry.RetryPolicy{MaxAttempts: 5, InitialBackoff: 200 * time.Millisecond, MaxBackoff: time.Second}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("5 × 2s + (200ms + 400ms + 800ms + 1s) = 12.4s fits in 15s: %v", errs)
	}
	// Rejected, as computed.
	cfg.StallTimeout = 12400 * time.Millisecond
	errs := cfg.Validate()
	if len(errs) != 1 || !strings.Contains(problems(errs), "max_attempts 5 × handler_timeout 2s + backoffs of up to 2.4s = 12.4s, must be below kafka.stall_timeout (12.4s)") {
		t.Fatalf("got %v", errs)
	}
	// A subscription's own handler_timeout counts, not the engine's.
	cfg.StallTimeout = time.Minute
	cfg.Subscriptions[0].HandlerTimeout = 20 * time.Second
	if errs := cfg.Validate(); len(errs) != 1 || !strings.Contains(problems(errs), "handler_timeout 20s") {
		t.Fatalf("got %v", errs)
	}
}

// TestValidateFindsARetryTopicAlsoSubscribedInEitherOrder (issue 9,
// finding 6).
func TestValidateFindsARetryTopicAlsoSubscribedInEitherOrder(t *testing.T) {
	withRetry := registry.Subscription{Topic: "orders", Handler: "h", Ordering: registry.OrderingPartition, RetryTopic: registry.RetryTopicConfig{Enabled: true}}
	plain := registry.Subscription{Topic: "orders.retry", Handler: "h", Ordering: registry.OrderingPartition}
	for name, subs := range map[string][]registry.Subscription{
		"retry topic first": {plain, withRetry},
		"retry topic last":  {withRetry, plain},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Subscriptions = subs
			if got := problems(cfg.Validate()); !strings.Contains(got, `retry_topic.topic "orders.retry" is also subscribed`) {
				t.Fatalf("got %s", got)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Subscriptions = []registry.Subscription{plain, plain}
	if got := problems(cfg.Validate()); strings.Count(got, "is subscribed twice") != 1 || !strings.Contains(got, `[1].topic "orders.retry" is subscribed twice`) {
		t.Fatalf("got %s", got)
	}
}

func TestRetryPolicyDelayBudgetAndValidate(t *testing.T) {
	p := registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt < 40; attempt++ {
		ceiling := min(p.InitialBackoff<<min(attempt-1, 30), p.MaxBackoff)
		if d := p.Delay(attempt); d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %s", attempt, d)
		}
	}
	if got := p.Budget(time.Second); got != 3*time.Second+100*time.Millisecond+200*time.Millisecond {
		t.Fatalf("budget %s: 3 attempts of 1s and the longest backoffs, 100ms and 200ms", got)
	}
	long := registry.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 1500 * time.Millisecond}
	if got := long.Budget(0); got != time.Second+1500*time.Millisecond+1500*time.Millisecond {
		t.Fatalf("budget %s: backoffs 1s, then capped at 1.5s twice", got)
	}
	if errs := (registry.RetryPolicy{}).Validate("x.retry"); len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if errs := registry.DefaultRetryPolicy().Validate("x"); len(errs) != 0 {
		t.Fatal(errs)
	}
}

// TestValidateBatchRules: a batch must be able to fill or flush within the
// in-flight bounds, and to flush at all; each rule names its setting, and
// the limits themselves are accepted.
func TestValidateBatchRules(t *testing.T) {
	for _, tt := range []struct {
		name  string
		batch registry.BatchConfig
		edit  func(*Config)
		want  string // "" when valid
	}{
		{name: "size at max_inflight", batch: registry.BatchConfig{Size: 1000, Linger: time.Second}},
		{name: "size above max_inflight", batch: registry.BatchConfig{Size: 1001, Linger: time.Second},
			want: "kafka.subscriptions[0].batch.size (1001) must not exceed kafka.max_inflight (1000)"},
		{name: "size above a lowered max_inflight", batch: registry.BatchConfig{Size: 100, Linger: time.Second}, edit: func(c *Config) { c.MaxInflight = 99 },
			want: "batch.size (100) must not exceed kafka.max_inflight (99)"},
		{name: "bytes at max_inflight_bytes", batch: registry.BatchConfig{Size: 10, Bytes: 8 << 20, Linger: time.Second}},
		{name: "bytes above max_inflight_bytes", batch: registry.BatchConfig{Size: 10, Bytes: 8<<20 + 1, Linger: time.Second},
			want: "kafka.subscriptions[0].batch.bytes (8388609) must not exceed kafka.max_inflight_bytes (8388608), or a batch could never fill"},
		{name: "bytes above a lowered max_inflight_bytes", batch: registry.BatchConfig{Size: 10, Bytes: 4096, Linger: time.Second}, edit: func(c *Config) { c.MaxInflightBytes = 4095 },
			want: "batch.bytes (4096) must not exceed kafka.max_inflight_bytes (4095)"},
		{name: "negative size", batch: registry.BatchConfig{Size: -1, Linger: time.Second}, want: "kafka.subscriptions[0].batch.size and batch.bytes must be >= 0"},
		{name: "negative bytes", batch: registry.BatchConfig{Size: 10, Bytes: -1, Linger: time.Second}, want: "batch.size and batch.bytes must be >= 0"},
		{name: "bytes without size", batch: registry.BatchConfig{Bytes: 100, Linger: time.Second}, want: "kafka.subscriptions[0].batch.bytes is set without batch.size"},
		{name: "no linger", batch: registry.BatchConfig{Size: 10}, want: "kafka.subscriptions[0].batch.linger must be > 0 when batch.size is set"},
		{name: "key ordering", batch: registry.BatchConfig{Size: 10, Linger: time.Second}, edit: func(c *Config) {
			c.Subscriptions[0].Ordering, c.Subscriptions[0].Workers = registry.OrderingKey, 4
		}, want: "kafka.subscriptions[0]: batches need ordering partition, got key"},
		{name: "none ordering", batch: registry.BatchConfig{Size: 10, Linger: time.Second}, edit: func(c *Config) {
			c.Subscriptions[0].Ordering, c.Subscriptions[0].Workers = registry.OrderingNone, 4
		}, want: "batches need ordering partition, got none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := subscribedConfig()
			cfg.Subscriptions[0].Batch = tt.batch
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			assertOneProblem(t, cfg.Validate(), tt.want)
		})
	}
}

// TestValidateRetryTopicRules: a retry topic must be a topic of its own,
// have rounds and a delay that cannot look like a stall, and serve a
// per-message handler; defaults are applied before the checks, and the
// limits themselves are accepted.
func TestValidateRetryTopicRules(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*registry.Subscription, *Config)
		want string // "" when valid
		also string // a second problem the same mistake causes
	}{
		{name: "defaults", edit: func(*registry.Subscription, *Config) {}},
		{name: "named, with a dead-letter topic", edit: func(s *registry.Subscription, _ *Config) {
			s.RetryTopic.Topic, s.DeadLetter = "payments.later", registry.DeadLetterConfig{Enabled: true}
		}},
		{name: "the topic itself", edit: func(s *registry.Subscription, _ *Config) { s.RetryTopic.Topic = "payments" },
			want: "kafka.subscriptions[0].retry_topic.topic must differ from the topic and the dead-letter topic",
			also: `retry_topic.topic "payments" is also subscribed`},
		{name: "the default dead-letter topic", edit: func(s *registry.Subscription, _ *Config) {
			s.RetryTopic.Topic, s.DeadLetter = "payments.dlq", registry.DeadLetterConfig{Enabled: true}
		}, want: "retry_topic.topic must differ from the topic and the dead-letter topic"},
		{name: "a named dead-letter topic", edit: func(s *registry.Subscription, _ *Config) {
			s.RetryTopic.Topic, s.DeadLetter = "p.failed", registry.DeadLetterConfig{Enabled: true, Topic: "p.failed"}
		}, want: "retry_topic.topic must differ from the topic and the dead-letter topic"},
		{name: "the dead-letter topic's name without dead letters", edit: func(s *registry.Subscription, _ *Config) { s.RetryTopic.Topic = "payments.dlq" }},
		{name: "negative rounds", edit: func(s *registry.Subscription, _ *Config) { s.RetryTopic.Rounds = -1 },
			want: "kafka.subscriptions[0].retry_topic needs delay >= 0 and rounds >= 1"},
		{name: "negative delay", edit: func(s *registry.Subscription, _ *Config) { s.RetryTopic.Delay = -time.Second },
			want: "retry_topic needs delay >= 0 and rounds >= 1"},
		{name: "delay just below half the stall timeout", edit: func(s *registry.Subscription, c *Config) {
			s.RetryTopic.Delay = c.StallTimeout/2 - time.Millisecond
		}},
		{name: "delay of half the stall timeout", edit: func(s *registry.Subscription, c *Config) { s.RetryTopic.Delay = c.StallTimeout / 2 },
			want: "kafka.subscriptions[0].retry_topic.delay (1m0s) must be below half of kafka.stall_timeout (2m0s): waiting rounds hold their partition"},
		{name: "delay against a shorter stall timeout", edit: func(s *registry.Subscription, c *Config) {
			c.StallTimeout, c.HandlerTimeout, s.RetryTopic.Delay = 20*time.Second, time.Second, 10*time.Second
		},
			want: "retry_topic.delay (10s) must be below half of kafka.stall_timeout (20s)"},
		{name: "batch handler", edit: func(s *registry.Subscription, _ *Config) {
			s.Batch = registry.BatchConfig{Size: 10, Linger: time.Second}
		},
			want: "kafka.subscriptions[0].retry_topic needs a per-message handler, not a batch"},
		{name: "key ordering", edit: func(s *registry.Subscription, _ *Config) { s.Ordering, s.Workers = registry.OrderingKey, 8 }},
		{name: "none ordering", edit: func(s *registry.Subscription, _ *Config) { s.Ordering, s.Workers = registry.OrderingNone, 8 }},
		{name: "disabled, whatever its settings", edit: func(s *registry.Subscription, _ *Config) {
			s.RetryTopic = registry.RetryTopicConfig{Topic: "payments", Delay: -1, Rounds: -1}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			sub := registry.Subscription{Topic: "payments", Handler: "h", Ordering: registry.OrderingPartition, RetryTopic: registry.RetryTopicConfig{Enabled: true}}
			tt.edit(&sub, &cfg)
			cfg.Subscriptions = []registry.Subscription{sub}
			errs := cfg.Validate()
			if tt.also != "" {
				if len(errs) != 2 || !strings.Contains(errs[1].Error(), tt.also) {
					t.Fatalf("got %v, want a second problem saying %q", errs, tt.also)
				}
				errs = errs[:1]
			}
			assertOneProblem(t, errs, tt.want)
		})
	}
}

// assertOneProblem checks that errs is empty when want is, else that it
// is exactly one problem saying want.
func assertOneProblem(t *testing.T, errs []error, want string) {
	t.Helper()
	switch {
	case want == "" && len(errs) != 0:
		t.Fatalf("valid configuration refused: %v", errs)
	case want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), want)):
		t.Fatalf("got %v, want exactly one problem saying %q", errs, want)
	}
}

// TestSubscriptionDefaultsNameTheLetterTopicsAfterTheTopic: unset names,
// delays and rounds take their documented defaults; set ones are kept;
// disabled features get none.
func TestSubscriptionDefaultsNameTheLetterTopicsAfterTheTopic(t *testing.T) {
	cfg := DefaultConfig()
	on := withDefaults(registry.Subscription{Topic: "payments", DeadLetter: registry.DeadLetterConfig{Enabled: true}, RetryTopic: registry.RetryTopicConfig{Enabled: true}}, cfg)
	if on.DeadLetter.Topic != "payments.dlq" || on.RetryTopic != (registry.RetryTopicConfig{Enabled: true, Topic: "payments.retry", Delay: 5 * time.Second, Rounds: 3}) {
		t.Fatalf("defaults: dead letters %+v, retry topic %+v", on.DeadLetter, on.RetryTopic)
	}
	if on.HandlerTimeout != cfg.HandlerTimeout || on.Retry != registry.DefaultRetryPolicy() {
		t.Fatalf("defaults: handler_timeout %s, retry %+v", on.HandlerTimeout, on.Retry)
	}
	set := registry.RetryTopicConfig{Enabled: true, Topic: "p.later", Delay: time.Second, Rounds: 7}
	own := withDefaults(registry.Subscription{Topic: "payments", HandlerTimeout: time.Second, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: "p.failed"}, RetryTopic: set}, cfg)
	if own.DeadLetter.Topic != "p.failed" || own.RetryTopic != set || own.HandlerTimeout != time.Second {
		t.Fatalf("set values replaced: %+v %+v %s", own.DeadLetter, own.RetryTopic, own.HandlerTimeout)
	}
	off := withDefaults(registry.Subscription{Topic: "payments"}, cfg)
	if off.DeadLetter.Topic != "" || off.RetryTopic != (registry.RetryTopicConfig{}) {
		t.Fatalf("disabled features got defaults: %+v %+v", off.DeadLetter, off.RetryTopic)
	}
}

// TestValidateChecksTheEmbeddedBrokerOnlyWhenItIsUsed: the embedded
// broker's settings are checked when no brokers are configured, and
// ignored (whatever they are) when brokers are.
func TestValidateChecksTheEmbeddedBrokerOnlyWhenItIsUsed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Embedded.Partitions, cfg.Embedded.Port = 0, 70000
	got := problems(cfg.Validate())
	for _, want := range []string{"kafka.embedded.partitions must be >= 1, got 0", "kafka.embedded.port 70000 is not a port"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
	cfg.Brokers = []string{"kafka-1:9092"}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("with configured brokers: %v", errs)
	}
}

// TestValidateTakesOnlyTheKnownFetchers: kafka.fetcher is reader (the
// default) or session; anything else is refused, naming both.
func TestValidateTakesOnlyTheKnownFetchers(t *testing.T) {
	cfg := subscribedConfig()
	if cfg.Fetcher != FetcherReader {
		t.Fatalf("default fetcher %q, want %q", cfg.Fetcher, FetcherReader)
	}
	for _, f := range []string{FetcherReader, FetcherSession} {
		cfg.Fetcher = f
		if errs := cfg.Validate(); len(errs) != 0 {
			t.Fatalf("fetcher %q: %v", f, errs)
		}
	}
	cfg.Fetcher = "Session"
	if errs := cfg.Validate(); len(errs) != 1 || problems(errs) != `kafka.fetcher "Session": must be reader or session` {
		t.Fatalf("got %v", errs)
	}
}
