package kafka

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// generationRun is this member's share of one consumer group generation: a
// worker per assigned partition and one committer. Commits carry the
// generation's id, so the coordinator rejects them once the generation is
// over: an offset is never committed for a partition this member no longer
// owns.
type generationRun struct {
	engine     *Engine
	gen        *kafkago.Generation
	partitions []*partitionRun
	running    sync.WaitGroup // partition workers not yet finished
	log        *zap.Logger
}

func (e *Engine) startGeneration(gen *kafkago.Generation) {
	e.metrics.rebalances.Inc()
	g := &generationRun{engine: e, gen: gen, log: e.log.With(zap.Int32("generation", gen.ID))}
	var assigned []string
	for topic, assignments := range gen.Assignments {
		sub, ok := e.subs[topic]
		if !ok {
			continue // only subscribed topics are ever assigned
		}
		for _, a := range assignments {
			g.partitions = append(g.partitions, newPartitionRun(g, sub, a.ID, a.Offset))
			assigned = append(assigned, fmt.Sprintf("%s/%d@%d", topic, a.ID, a.Offset))
		}
	}
	sort.Strings(assigned)
	g.log.Info("generation started", zap.String("member", gen.MemberID), zap.Strings("assigned", assigned))
	e.joined.Store(true)
	e.groupNet.succeeded()
	g.running.Add(len(g.partitions))
	for _, p := range g.partitions {
		gen.Start(func(ctx context.Context) {
			defer g.running.Done()
			p.run(ctx)
		})
	}
	gen.Start(g.commitLoop)
}

// commitLoop commits completed offsets every CommitInterval and, when the
// generation ends, once more after every partition has drained.
func (g *generationRun) commitLoop(ctx context.Context) {
	last := map[*partitionRun]int64{}
	t := time.NewTicker(g.engine.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.commit(last)
		case <-ctx.Done():
			g.running.Wait()
			g.commit(last)
			g.log.Info("generation ended", zap.String("reason", g.engine.endReason()))
			return
		}
	}
}

// commit sends every partition's committable offset that moved since the
// last successful commit. A failure is logged and counted; the offsets are
// sent again next time, and what is never committed is redelivered.
func (g *generationRun) commit(last map[*partitionRun]int64) {
	offsets := map[string]map[int]int64{}
	var moved []*partitionRun
	for _, p := range g.partitions {
		off, ok := p.window.committable()
		if !ok || off == last[p] {
			continue
		}
		if offsets[p.topic] == nil {
			offsets[p.topic] = map[int]int64{}
		}
		offsets[p.topic][p.partition] = off
		moved = append(moved, p)
	}
	if len(moved) == 0 {
		return
	}
	if err := g.gen.CommitOffsets(offsets); err != nil {
		g.engine.metrics.commits.WithLabelValues("error").Inc()
		g.engine.groupTrouble(fmt.Sprintf("commit generation %d: %v", g.gen.ID, err))
		g.log.Error("offset commit failed; will retry, uncommitted messages are redelivered after a rebalance",
			zap.Any("offsets", offsets), zap.Error(fmt.Errorf("commit generation %d: %w", g.gen.ID, err)))
		return
	}
	g.engine.metrics.commits.WithLabelValues("success").Inc()
	g.engine.groupNet.succeeded()
	for _, p := range moved {
		off := offsets[p.topic][p.partition]
		last[p] = off
		p.position.Store(off)
	}
}

func (e *Engine) endReason() string {
	if e.stopping.Load() {
		return "shutdown"
	}
	return "revoke"
}
