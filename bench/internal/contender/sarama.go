package contender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/IBM/sarama"
)

// saramaVersion is the protocol level sarama speaks: 3.9, which both
// brokers the suite runs on (Kafka 3.9.1 and 4.1.1) serve.
var saramaVersion = sarama.V3_9_0_0

// saramaConfig is sarama's default consumer configuration, from the
// oldest offset, committing marked offsets every CommitInterval.
func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = saramaVersion
	cfg.ClientID = "bench-sarama"
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = true
	cfg.Consumer.Offsets.AutoCommit.Interval = CommitInterval
	return cfg
}

// saramaGroup is an IBM/sarama ConsumerGroup whose handler marks each
// message after handling it; the group's close commits what is marked.
func saramaGroup(ctx context.Context, s Spec, sw *Stopwatch) (err error) {
	sarama.Logger = log.New(io.Discard, "", 0)
	cg, err := sarama.NewConsumerGroup(s.Brokers, s.Group, saramaConfig())
	if err != nil {
		return fmt.Errorf("sarama group: %w", err)
	}
	defer func() {
		if cerr := cg.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("sarama close: %w", cerr))
		}
	}()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := saramaHandler{sw: sw, delay: s.HandlerDelay}
	consumed := make(chan error, 1)
	go func() {
		for cctx.Err() == nil {
			if err := cg.Consume(cctx, []string{s.Topic}, h); err != nil {
				consumed <- fmt.Errorf("sarama consume: %w", err)
				return
			}
		}
		consumed <- nil
	}()
	select {
	case <-sw.Done():
		cancel()
		return <-consumed
	case err := <-consumed:
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
}

// saramaHandler handles each claimed message and marks it; sarama's
// autocommit commits what is marked.
type saramaHandler struct {
	sw    *Stopwatch
	delay time.Duration
}

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			handle(h.sw, h.delay)
			sess.MarkMessage(m, "")
		case <-sess.Context().Done():
			return nil
		}
	}
}
