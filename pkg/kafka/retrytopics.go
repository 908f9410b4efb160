package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// ensureRetryTopics creates missing retry topics, with as many partitions
// as the topic they serve, and waits until each has leaders: a consumer
// group only sees topics that exist when it joins, and a reschedule to a
// topic without leaders would fail. It gives up when ctx ends.
func (e *Engine) ensureRetryTopics(ctx context.Context, settings conn.Settings) error {
	var want []kafkago.TopicConfig
	tr := settings.Transport(e.cfg.GroupID + "-admin")
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(e.brokers.Addrs()...), Transport: tr, Timeout: 30 * time.Second}
	for _, sub := range e.subs {
		if sub.retryOf == nil {
			continue
		}
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{sub.retryOf.Topic}})
		if err != nil {
			return fmt.Errorf("retry topic %s: read partitions of %s: %w", sub.Topic, sub.retryOf.Topic, err)
		}
		if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
			return fmt.Errorf("retry topic %s: read partitions of %s: %w", sub.Topic, sub.retryOf.Topic, topicErr(md))
		}
		want = append(want, kafkago.TopicConfig{Topic: sub.Topic, NumPartitions: len(md.Topics[0].Partitions), ReplicationFactor: -1})
	}
	if len(want) == 0 {
		return nil
	}
	res, err := client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: want})
	if err != nil {
		return fmt.Errorf("create retry topics: %w", err)
	}
	names := make([]string, 0, len(want))
	for topic, terr := range res.Errors {
		if terr != nil && !errors.Is(terr, kafkago.TopicAlreadyExists) {
			return fmt.Errorf("create retry topic %s: %w", topic, terr)
		}
		names = append(names, topic)
	}
	return waitForLeaders(ctx, client, names)
}

// waitForLeaders waits, for up to 30s or until ctx ends, until every
// partition of names has a leader.
func waitForLeaders(ctx context.Context, client *kafkago.Client, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
		if err == nil && allLed(md, len(names)) {
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return fmt.Errorf("retry topics %v have no leaders yet: %w", names, errors.Join(context.Cause(ctx), err))
		}
	}
}

// allLed reports whether md holds n topics whose partitions all have a leader.
func allLed(md *kafkago.MetadataResponse, n int) bool {
	if len(md.Topics) != n {
		return false
	}
	for _, t := range md.Topics {
		if t.Error != nil || len(t.Partitions) == 0 {
			return false
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return false
			}
		}
	}
	return true
}

func topicErr(md *kafkago.MetadataResponse) error {
	if md == nil || len(md.Topics) == 0 {
		return errors.New("no metadata")
	}
	if err := md.Topics[0].Error; err != nil {
		return err
	}
	return errors.New("no partitions")
}
