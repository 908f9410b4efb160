package kafkatest

import (
	"errors"
	"fmt"
	"io"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// Produce writes msgs to partition of topic, in order, acknowledged by
// every in-sync replica, and returns the offset of the first; the others
// follow it. Each message's Key, Value, Headers and, when set, Time are
// written; its Topic, Partition and Offset are ignored.
func (b *Broker) Produce(topic string, partition int, msgs ...message.Message) (first int64) {
	b.t.Helper()
	records := make([]kafkago.Record, len(msgs))
	for i, m := range msgs {
		records[i] = kafkago.Record{Time: m.Time, Key: kafkago.NewBytes(m.Key), Value: kafkago.NewBytes(m.Value)}
		for _, h := range m.Headers {
			records[i].Headers = append(records[i].Headers, kafkago.Header{Key: h.Key, Value: h.Value})
		}
	}
	ctx, cancel := b.context()
	defer cancel()
	res, err := b.client.Produce(ctx, &kafkago.ProduceRequest{Topic: topic, Partition: partition,
		RequiredAcks: kafkago.RequireAll, Records: kafkago.NewRecordReader(records...)})
	if err == nil {
		err = errors.Join(res.Error, recordErrors(res.RecordErrors))
	}
	if err != nil {
		b.t.Fatalf("kafkatest: produce %d messages to %s/%d: %v", len(msgs), topic, partition, err)
		return -1
	}
	return res.BaseOffset
}

func recordErrors(errs map[int]error) error {
	var all []error
	for i, err := range errs {
		all = append(all, fmt.Errorf("record %d: %w", i, err))
	}
	return errors.Join(all...)
}

// ReadTopic reads topic back: every record of every partition, partition
// by partition in offset order, from the first offset the broker holds to
// the end offset at the call. Each message has its Topic, Partition,
// Offset, Key, Value, Headers and Time.
func (b *Broker) ReadTopic(topic string) []message.Message {
	b.t.Helper()
	ids, ok := b.mustPartitions(topic)
	if !ok {
		return nil
	}
	first, end := b.offsets(topic, ids)
	var out []message.Message
	for _, p := range ids {
		for next := first[p]; next < end[p]; {
			got, err := b.fetch(topic, p, next)
			if err != nil {
				b.t.Fatalf("kafkatest: read %s/%d from offset %d: %v", topic, p, next, err)
				return nil
			}
			for _, m := range got {
				if m.Offset >= next && m.Offset < end[p] {
					out = append(out, m)
					next = m.Offset + 1
				}
			}
		}
	}
	return out
}

// fetch reads the records of one fetch from partition p of topic,
// starting at offset (a fetch may return records before it).
func (b *Broker) fetch(topic string, p int, offset int64) ([]message.Message, error) {
	ctx, cancel := b.context()
	defer cancel()
	res, err := b.client.Fetch(ctx, &kafkago.FetchRequest{Topic: topic, Partition: p, Offset: offset,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, err
	}
	var out []message.Message
	for {
		r, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		m := message.Message{Topic: topic, Partition: p, Offset: r.Offset, Time: r.Time}
		if m.Key, err = kafkago.ReadAll(r.Key); err != nil {
			return nil, err
		}
		if m.Value, err = kafkago.ReadAll(r.Value); err != nil {
			return nil, err
		}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, message.Header{Key: h.Key, Value: h.Value})
		}
		out = append(out, m)
	}
}
