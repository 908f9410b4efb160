package topics

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Shape is what a benchmark topic holds: N messages of ValueBytes bytes,
// spread round-robin over Partitions, keyed "k0" … "k<Keys-1>" in turn.
type Shape struct {
	Name       string `json:"name"`
	Partitions int    `json:"partitions"`
	N          int64  `json:"n"`
	ValueBytes int    `json:"value_bytes"`
	Keys       int    `json:"keys"`
}

// Ensure makes topic shape.Name hold exactly shape: a topic that exists
// with its partitions, starting at offset 0 and holding N messages in
// all, is reused (reused is true); anything else of that name is deleted
// and the topic created and produced again.
func (a *Admin) Ensure(ctx context.Context, shape Shape) (reused bool, err error) {
	if shape.Partitions < 1 || shape.N < 1 || shape.Keys < 1 || shape.ValueBytes < 0 {
		return false, fmt.Errorf("topic %s: bad shape %+v", shape.Name, shape)
	}
	ok, err := a.holds(ctx, shape)
	if err != nil || ok {
		return ok, err
	}
	if err := a.recreate(ctx, shape); err != nil {
		return false, err
	}
	return false, a.produce(ctx, shape)
}

// holds reports whether the topic exists with exactly shape's messages.
func (a *Admin) holds(ctx context.Context, shape Shape) (bool, error) {
	details, err := a.adm.ListTopics(ctx, shape.Name)
	if err != nil {
		return false, fmt.Errorf("list topic %s: %w", shape.Name, err)
	}
	d, ok := details[shape.Name]
	if !ok || d.Err != nil || len(d.Partitions) != shape.Partitions {
		return false, nil
	}
	start, err := a.StartOffsets(ctx, shape.Name)
	if err != nil {
		return false, err
	}
	end, err := a.EndOffsets(ctx, shape.Name)
	if err != nil {
		return false, err
	}
	var total int64
	for p, e := range end {
		if start[p] != 0 {
			return false, nil
		}
		total += e
	}
	return total == shape.N, nil
}

// recreate deletes the topic if it exists and creates it empty.
func (a *Admin) recreate(ctx context.Context, shape Shape) error {
	if resp, err := a.adm.DeleteTopics(ctx, shape.Name); err == nil {
		if d, ok := resp[shape.Name]; ok && d.Err == nil {
			// Deletion is asynchronous on the broker: wait until the
			// name is free before creating it again.
			if err := a.waitGone(ctx, shape.Name); err != nil {
				return err
			}
		}
	} else {
		return fmt.Errorf("delete topic %s: %w", shape.Name, err)
	}
	if _, err := a.adm.CreateTopic(ctx, int32(shape.Partitions), 1, nil, shape.Name); err != nil {
		return fmt.Errorf("create topic %s: %w", shape.Name, err)
	}
	return nil
}

func (a *Admin) waitGone(ctx context.Context, topic string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		details, err := a.adm.ListTopics(ctx, topic)
		if err != nil {
			return fmt.Errorf("list topic %s: %w", topic, err)
		}
		if _, ok := details[topic]; !ok {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("topic %s: still there a minute after its deletion", topic)
}

// produce writes shape's messages with one batching producer (no
// compression, so that no contender's figures include decompressing),
// record i to partition i mod Partitions with key "k<i mod Keys>".
func (a *Admin) produce(ctx context.Context, shape Shape) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(a.brokers...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(50_000),
	)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer cl.Close()
	value := make([]byte, shape.ValueBytes)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	keys := make([][]byte, shape.Keys)
	for i := range keys {
		keys[i] = []byte("k" + strconv.Itoa(i))
	}
	var mu sync.Mutex
	var errs []error
	for i := range shape.N {
		r := &kgo.Record{Topic: shape.Name, Partition: int32(i % int64(shape.Partitions)), Key: keys[i%int64(shape.Keys)], Value: value}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("produce %s: flush: %w", shape.Name, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("produce %s: %d records failed, the first: %w", shape.Name, len(errs), errs[0])
	}
	// The admin client may see the new topic's partitions a moment
	// after the producer did: ask until it sees all of them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := a.holds(ctx, shape)
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("produce %s: the topic does not hold %d messages 30s after producing them", shape.Name, shape.N)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
