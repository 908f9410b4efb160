package contender

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// franzGoClient is a franz-go group client as franz-go's documentation
// sets one up: consuming s.Topic from the start, committing every
// CommitInterval what earlier polls returned. extra adds options.
func franzGoClient(s Spec, extra ...kgo.Opt) (*kgo.Client, error) {
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(s.Brokers...),
		kgo.ConsumerGroup(s.Group),
		kgo.ConsumeTopics(s.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitInterval(CommitInterval),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz-go client: %w", err)
	}
	return cl, nil
}

// franzGo polls and handles each record in the polling goroutine; the
// client's autocommit commits what was polled, and the final
// CommitUncommittedOffsets what the last poll returned.
func franzGo(ctx context.Context, s Spec, sw *Stopwatch) error {
	cl, err := franzGoClient(s)
	if err != nil {
		return err
	}
	defer cl.Close()
	for !sw.Finished() {
		fetches := cl.PollFetches(ctx)
		if err := fetchErr(fetches); err != nil {
			return err
		}
		fetches.EachRecord(func(*kgo.Record) { handle(sw, s.HandlerDelay) })
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return fmt.Errorf("franz-go final commit: %w", err)
	}
	return nil
}

// fetchErr joins the errors of a poll.
func fetchErr(f kgo.Fetches) error {
	var errs []error
	for _, e := range f.Errors() {
		errs = append(errs, fmt.Errorf("franz-go fetch %s/%d: %w", e.Topic, e.Partition, e.Err))
	}
	return errors.Join(errs...)
}
