//go:build e2e && soak

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/internal/service"
)

// soakIDHeader carries every soak order's id, so a dead letter of a
// malformed order (its value is no JSON) still names it.
const soakIDHeader = "soak.id"

// soakKind is what the soak producer made of an order.
type soakKind uint8

const (
	soakGood   soakKind = iota
	soakPoison          // malformed: dead-lettered with a reason
	soakPanic           // the panic demo fault panics on its first attempt
)

// soakKindOf is what order number seq is: 1% poison (seq%100 == 50),
// 0.1% chosen by the panic fault (seq%1000 == 0: its id ends in a
// multiple of 1,000), the rest good.
func soakKindOf(seq uint64) soakKind {
	switch {
	case seq%100 == 50:
		return soakPoison
	case seq%1000 == 0:
		return soakPanic
	}
	return soakGood
}

// soakOrder is order number seq of the run, keyed by its customer: every
// other one of 1,000 regulars (their lookups hit the cache), the others
// spread over all 99,999 customers, far more than the cache holds (their
// lookups miss, and evict). A poison order's value is cut after its
// amount's key, so it does not decode. It returns an error if the panic
// fault's own choice (service.PanicsOn) disagrees with soakKindOf.
func soakOrder(run string, seq uint64) (kafkago.Message, error) {
	id := fmt.Sprintf("soak-%s-%d", run, seq)
	n := seq*7919%99999 + 1
	if seq%2 == 0 {
		n = seq/2%1000 + 1
	}
	customer := fmt.Sprintf("c-%05d", n)
	v, err := json.Marshal(order{ID: id, CustomerID: customer, AmountCents: int64(seq%50_000) + 100,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano)})
	if err != nil {
		return kafkago.Message{}, fmt.Errorf("order %d: %w", seq, err)
	}
	kind := soakKindOf(seq)
	if kind == soakPoison {
		v = v[:strings.Index(string(v), `"amount_cents":`)+len(`"amount_cents":`)]
	}
	if service.PanicsOn(v) != (kind == soakPanic) {
		return kafkago.Message{}, fmt.Errorf("order %d (%s): the panic fault's choice is %v", seq, v, service.PanicsOn(v))
	}
	return kafkago.Message{Key: []byte(customer), Value: v, Headers: []kafkago.Header{{Key: soakIDHeader, Value: []byte(id)}}}, nil
}

// soakSeq reads the sequence number back from an id of run.
func soakSeq(run, id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, "soak-"+run+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

// soakFeed produces the run's orders at a steady rate until stopped.
type soakFeed struct {
	id   string // the run's id, in every order's
	rate int
	w    *kafkago.Writer
	tr   *kafkago.Transport

	mu       sync.Mutex
	produced uint64          // orders 0..produced-1 were handed to the writer
	failed   map[uint64]bool // orders whose write returned an error: written or not, no one knows
	lastErr  error
	began    time.Time
	ended    time.Time
	behind   time.Duration // the most the feed ever lagged its schedule
}

func newSoakFeed(run string, rate int, brokers []string, topic string) *soakFeed {
	tr := &kafkago.Transport{}
	return &soakFeed{id: run, rate: rate, tr: tr, failed: map[uint64]bool{},
		w: &kafkago.Writer{Addr: kafkago.TCP(brokers...), Topic: topic, Balancer: kafkago.Murmur2Balancer{},
			RequiredAcks: kafkago.RequireAll, BatchTimeout: 2 * time.Millisecond, BatchSize: 1000, Transport: tr}}
}

// run produces until ctx ends: every 10ms tick the orders the rate has
// made due since the start, at most one tick's worth more than the rate
// (so a stall is caught up over time, never in a burst of seconds).
func (f *soakFeed) run(ctx context.Context) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	f.mu.Lock()
	f.began = time.Now()
	f.mu.Unlock()
	perTick := uint64(f.rate) * uint64(tick) / uint64(time.Second)
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			f.mu.Lock()
			f.ended = time.Now()
			f.mu.Unlock()
			return
		case <-t.C:
		}
		due := uint64(time.Since(f.began).Seconds() * float64(f.rate))
		n := min(due-min(seq, due), 2*perTick)
		if n == 0 {
			continue
		}
		msgs := make([]kafkago.Message, n)
		var err error
		for i := range msgs {
			if msgs[i], err = soakOrder(f.id, seq+uint64(i)); err != nil {
				break
			}
		}
		if err == nil {
			err = f.w.WriteMessages(context.WithoutCancel(ctx), msgs...)
		}
		f.mu.Lock()
		if err != nil {
			for i := range n {
				f.failed[seq+i] = true
			}
			f.lastErr = err
		}
		seq += n
		f.produced = seq
		if lag := time.Duration(float64(due-seq) / float64(f.rate) * float64(time.Second)); lag > f.behind {
			f.behind = lag
		}
		f.mu.Unlock()
	}
}

// close closes the writer and its connections.
func (f *soakFeed) close() error {
	err := f.w.Close()
	f.tr.CloseIdleConnections()
	return err
}

// report is what the feed did: orders produced, the rate achieved, the
// most it lagged its schedule, and the writes that failed.
func (f *soakFeed) report() (produced uint64, perSecond float64, behind time.Duration, failed map[uint64]bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	span := f.ended.Sub(f.began)
	if f.ended.IsZero() {
		span = time.Since(f.began)
	}
	if len(f.failed) > 0 {
		err = fmt.Errorf("%d orders' writes failed, last: %w", len(f.failed), f.lastErr)
	}
	return f.produced, float64(f.produced) / span.Seconds(), f.behind, f.failed, err
}
