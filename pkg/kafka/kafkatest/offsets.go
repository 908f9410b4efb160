package kafkatest

import (
	"errors"

	kafkago "github.com/segmentio/kafka-go"
)

// EndOffsets returns, per partition of topic, its end offset: the offset
// the next record produced to it will get.
func (b *Broker) EndOffsets(topic string) map[int]int64 {
	b.t.Helper()
	ids, ok := b.mustPartitions(topic)
	if !ok {
		return nil
	}
	_, end := b.offsets(topic, ids)
	return end
}

// Committed returns, per partition of topic, the offset group has
// committed (the next it will read), or -1 where it has committed none.
// A partition whose committed offset equals its end offset (EndOffsets)
// has nothing left for the group.
func (b *Broker) Committed(group, topic string) map[int]int64 {
	b.t.Helper()
	ids, ok := b.mustPartitions(topic)
	if !ok {
		return nil
	}
	ctx, cancel := b.context()
	defer cancel()
	res, err := b.client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err == nil {
		err = res.Error
	}
	if errors.Is(err, kafkago.GroupIdNotFound) { // a group that never committed (kfake's answer)
		out := map[int]int64{}
		for _, p := range ids {
			out[p] = -1
		}
		return out
	}
	if err != nil {
		b.t.Fatalf("kafkatest: committed offsets of group %s on %s: %v", group, topic, err)
		return nil
	}
	out := map[int]int64{}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			b.t.Fatalf("kafkatest: committed offset of group %s on %s/%d: %v", group, topic, p.Partition, p.Error)
			return nil
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// offsets lists, per partition in ids, the first offset the broker holds
// and the end offset.
func (b *Broker) offsets(topic string, ids []int) (first, end map[int]int64) {
	b.t.Helper()
	var reqs []kafkago.OffsetRequest
	for _, p := range ids {
		reqs = append(reqs, kafkago.FirstOffsetOf(p), kafkago.LastOffsetOf(p))
	}
	ctx, cancel := b.context()
	defer cancel()
	res, err := b.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		b.t.Fatalf("kafkatest: list offsets of %s: %v", topic, err)
		return nil, nil
	}
	first, end = map[int]int64{}, map[int]int64{}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			b.t.Fatalf("kafkatest: list offsets of %s/%d: %v", topic, p.Partition, p.Error)
			return nil, nil
		}
		first[p.Partition], end[p.Partition] = p.FirstOffset, p.LastOffset
	}
	return first, end
}
