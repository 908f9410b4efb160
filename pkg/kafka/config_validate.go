package kafka

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Validate returns every problem with the configuration, each naming its
// setting. It makes no connection (it reads the TLS files).
func (c Config) Validate() []error {
	var errs []error
	for _, check := range []func() []error{
		c.validateBrokers, c.validateGroup, c.validateTimeouts, c.validateLimits,
		c.validateSubscriptions, c.validateEmbedded, c.TLS.Validate, c.SASL.Validate,
	} {
		errs = append(errs, check()...)
	}
	return errs
}

// configErrors collects validation errors, each formatted as fmt.Errorf would.
type configErrors []error

func (p *configErrors) add(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// validateBrokers checks that every broker is host:port.
func (c Config) validateBrokers() []error {
	var bad configErrors
	for _, b := range c.Brokers {
		host, port, err := net.SplitHostPort(strings.TrimSpace(b))
		if err != nil || host == "" {
			bad.add("kafka.brokers: %q is not host:port", b)
			continue
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			bad.add("kafka.brokers: %q has an invalid port", b)
		}
	}
	return bad
}

// validateGroup checks the group's identity, where it starts and how it
// fetches.
func (c Config) validateGroup() []error {
	var bad configErrors
	if c.GroupID == "" {
		bad.add("kafka.group_id must not be empty")
	}
	if c.StartOffset != "earliest" && c.StartOffset != "latest" {
		bad.add("kafka.start_offset %q: must be earliest or latest", c.StartOffset)
	}
	if c.Fetcher != FetcherReader && c.Fetcher != FetcherSession {
		bad.add("kafka.fetcher %q: must be %s or %s", c.Fetcher, FetcherReader, FetcherSession)
	}
	return bad
}

// validateTimeouts checks that every duration is positive and that those
// that bound one another are in order.
func (c Config) validateTimeouts() []error {
	var bad configErrors
	for _, p := range []struct {
		name string
		d    time.Duration
	}{
		{"kafka.session_timeout", c.SessionTimeout},
		{"kafka.heartbeat_interval", c.HeartbeatInterval},
		{"kafka.rebalance_timeout", c.RebalanceTimeout},
		{"kafka.join_group_backoff", c.JoinGroupBackoff},
		{"kafka.commit_interval", c.CommitInterval},
		{"kafka.drain_timeout", c.DrainTimeout},
		{"kafka.handler_timeout", c.HandlerTimeout},
		{"kafka.zombie_grace", c.ZombieGrace},
		{"kafka.stall_timeout", c.StallTimeout},
		{"kafka.close_timeout", c.CloseTimeout},
		{"kafka.fetch_max_wait", c.FetchMaxWait},
		{"kafka.retry_backoff", c.RetryBackoff},
		{"kafka.max_retry_backoff", c.MaxRetryBackoff},
		{"kafka.write_timeout", c.WriteTimeout},
		{"kafka.blocked_retry_interval", c.BlockedRetryInterval},
	} {
		if p.d <= 0 {
			bad.add("%s must be > 0, got %s", p.name, p.d)
		}
	}
	if c.HeartbeatInterval > 0 && c.SessionTimeout > 0 && c.HeartbeatInterval >= c.SessionTimeout {
		bad.add("kafka.heartbeat_interval (%s) must be less than kafka.session_timeout (%s)", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.DrainTimeout > 0 && c.RebalanceTimeout > 0 && c.DrainTimeout >= c.RebalanceTimeout {
		bad.add("kafka.drain_timeout (%s) must be less than kafka.rebalance_timeout (%s), or a slow drain evicts the member", c.DrainTimeout, c.RebalanceTimeout)
	}
	if c.RetryBackoff > c.MaxRetryBackoff {
		bad.add("kafka.retry_backoff (%s) must not exceed kafka.max_retry_backoff (%s)", c.RetryBackoff, c.MaxRetryBackoff)
	}
	return bad
}

// validateLimits checks the in-flight and zombie bounds.
func (c Config) validateLimits() []error {
	var bad configErrors
	if c.MaxInflight < 1 {
		bad.add("kafka.max_inflight must be >= 1, got %d", c.MaxInflight)
	}
	if c.MaxZombies < 0 {
		bad.add("kafka.max_zombies must be >= 0, got %d", c.MaxZombies)
	}
	if c.MaxInflightBytes < 1 {
		bad.add("kafka.max_inflight_bytes must be >= 1, got %d", c.MaxInflightBytes)
	}
	return bad
}

// validateEmbedded checks the embedded broker's settings when it is used.
func (c Config) validateEmbedded() []error {
	if !c.UsesEmbedded() {
		return nil
	}
	return c.Embedded.Validate()
}
