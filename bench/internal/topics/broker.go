package topics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Admin reads and prepares topics and groups on the brokers.
type Admin struct {
	brokers []string
	cl      *kgo.Client
	adm     *kadm.Client
}

// NewAdmin connects to brokers lazily (nothing is dialled until the
// first request). Close releases it.
func NewAdmin(brokers []string) (*Admin, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, fmt.Errorf("admin client: %w", err)
	}
	return &Admin{brokers: brokers, cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close closes the admin's connections.
func (a *Admin) Close() { a.cl.Close() }

// EndOffsets returns the end offset of every partition of topic.
func (a *Admin) EndOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return a.listed(ctx, topic, a.adm.ListEndOffsets)
}

// StartOffsets returns the first offset of every partition of topic.
func (a *Admin) StartOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return a.listed(ctx, topic, a.adm.ListStartOffsets)
}

func (a *Admin) listed(ctx context.Context, topic string, list func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[int32]int64, error) {
	listed, err := list(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	if err := listed.Error(); err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	listed.Each(func(o kadm.ListedOffset) {
		if o.Topic == topic {
			out[o.Partition] = o.Offset
		}
	})
	return out, nil
}

// Committed returns the offsets group committed on topic, by partition.
func (a *Admin) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	resp, err := a.adm.FetchOffsetsForTopics(ctx, group, topic)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	if err := resp.Error(); err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		// FetchOffsetsForTopics lists every partition of the topic, with
		// -1 where the group committed nothing.
		if o.Topic == topic && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out, nil
}

// VerifyGroup checks group's committed offsets on topic against the
// topic's end offsets (see Verify), then deletes the group, so that a
// benchmark of hundreds of runs leaves no groups behind.
func (a *Admin) VerifyGroup(ctx context.Context, topic, group string) error {
	end, err := a.EndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	committed, err := a.Committed(ctx, group, topic)
	if err != nil {
		return err
	}
	if err := Verify(topic, group, end, committed); err != nil {
		return err
	}
	return a.deleteGroup(ctx, group)
}

// deleteGroup deletes group; a group the broker still sees members in
// (its last member's leave not yet processed) is tried again for a while.
func (a *Admin) deleteGroup(ctx context.Context, group string) error {
	var last error
	for range 20 {
		resp, err := a.adm.DeleteGroups(ctx, group)
		if err == nil {
			err = resp.Error()
		}
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("delete group %s: %w", group, last), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("delete group %s: %w", group, last)
}

// BrokerVersion is franz-go's guess of the brokers' Kafka version from
// the API versions they serve (Kafka does not report its release).
func (a *Admin) BrokerVersion(ctx context.Context) (string, error) {
	vs, err := a.adm.ApiVersions(ctx)
	if err != nil {
		return "", fmt.Errorf("api versions: %w", err)
	}
	var guesses []string
	vs.Each(func(v kadm.BrokerApiVersions) {
		if v.Err == nil {
			guesses = append(guesses, v.VersionGuess())
		}
	})
	if len(guesses) == 0 {
		return "", fmt.Errorf("api versions: no broker answered")
	}
	return guesses[0], nil
}
