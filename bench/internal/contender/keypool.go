package contender

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// keyPoolQueue is each worker's queue length in the per-key pool.
const keyPoolQueue = 256

// franzGoKeyPool is the per-key worker pool a team would write by hand
// on franz-go: s.Workers workers, each record sent to the worker its
// key's hash picks (so one key's records stay in order), every poll's
// records handled before their offsets are marked for the client's
// autocommit (a record is committed only once it and all before it are
// handled), rebalances held while a poll's records run.
func franzGoKeyPool(ctx context.Context, s Spec, sw *Stopwatch) error {
	if s.Workers < 1 {
		return fmt.Errorf("key pool needs workers, got %d", s.Workers)
	}
	cl, err := franzGoClient(s, kgo.AutoCommitMarks(), kgo.BlockRebalanceOnPoll())
	if err != nil {
		return err
	}
	defer cl.Close()
	var polled sync.WaitGroup // the current poll's records not yet handled
	var workers sync.WaitGroup
	queues := make([]chan *kgo.Record, s.Workers)
	for i := range queues {
		queues[i] = make(chan *kgo.Record, keyPoolQueue)
		workers.Go(func() {
			for range queues[i] {
				handle(sw, s.HandlerDelay)
				polled.Done()
			}
		})
	}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		workers.Wait()
	}()
	recs := make([]*kgo.Record, 0, 1024)
	for !sw.Finished() {
		fetches := cl.PollFetches(ctx)
		if err := fetchErr(fetches); err != nil {
			cl.AllowRebalance()
			return err
		}
		recs = recs[:0]
		fetches.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
		polled.Add(len(recs))
		for _, r := range recs {
			queues[keyHash(r.Key)%uint32(len(queues))] <- r
		}
		polled.Wait()
		cl.MarkCommitRecords(recs...)
		cl.AllowRebalance()
	}
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		return fmt.Errorf("franz-go final commit: %w", err)
	}
	return nil
}

// keyHash is 32-bit FNV-1a of key: the same key always picks the same
// worker, and it allocates nothing.
func keyHash(key []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
