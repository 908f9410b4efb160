package kafka

import "sync"

// livePartitions is the engine's registry of the partitions it consumes
// right now: a partition joins when its run starts and leaves when the run
// ends, so a revoked partition is gone from liveness, /debug/consumer and
// the live metrics at once instead of going stale. Its mutex is taken on
// join, leave and read — never per message.
type livePartitions struct {
	mu    sync.Mutex
	parts map[*partitionRun]struct{}
}

func newLivePartitions() *livePartitions {
	return &livePartitions{parts: map[*partitionRun]struct{}{}}
}

func (l *livePartitions) add(p *partitionRun) {
	l.mu.Lock()
	l.parts[p] = struct{}{}
	l.mu.Unlock()
}

func (l *livePartitions) remove(p *partitionRun) {
	l.mu.Lock()
	delete(l.parts, p)
	l.mu.Unlock()
}

// each calls f for every live partition, under the registry's lock: f must
// not add or remove partitions.
func (l *livePartitions) each(f func(p *partitionRun)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p := range l.parts {
		f(p)
	}
}
