package handlertest

import (
	"context"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// DefaultTopic is the topic of the subscription Run makes up for a
// registration that declares none.
const DefaultTopic = "handlertest"

// Runner runs one registered handler in memory; build it with New. A
// Runner is a value: each method returns a changed copy.
type Runner struct {
	reg registry.Registration
	use []message.Middleware
	sub *registry.Subscription
}

// New returns a Runner of the handler reg declares (registry.Handler or
// registry.Batch), its own middleware included.
func New(reg registry.Registration) Runner { return Runner{reg: reg} }

// Use adds the service's middleware, as registry.Registry.Use does: around
// every call, outside the handler's own middleware; the first listed is
// the outermost.
func (r Runner) Use(mws ...message.Middleware) Runner {
	r.use = append(append([]message.Middleware(nil), r.use...), mws...)
	return r
}

// Subscription runs the handler under s instead of the default (the
// registration's first subscription, else one on DefaultTopic, partition
// ordering, the default retry policy, a dead-letter topic, and for a
// batch handler one batch of every message). Its Handler is set to the
// registration's name. Retry, HandlerTimeout, DeadLetter, RetryTopic,
// Batch and Ordering apply as the engine applies them.
func (r Runner) Subscription(s registry.Subscription) Runner {
	s.Handler = r.reg.Name()
	r.sub = &s
	return r
}

// Delivery is what became of one message Run was given.
type Delivery struct {
	// Message is the message as the handler last saw it: Run sets Topic
	// to the subscription's, Partition to 0 and Offset to its index.
	Message message.Message
	// Outcome is the one outcome the engine recorded for it.
	Outcome Outcome
	// Attempts is how many handler calls it was part of.
	Attempts int
	// Err is what its last call returned for it (a *lifecycle.PanicError
	// for a panic); nil when it was handled.
	Err error
	// Letter is the letter the engine wrote for it: to the dead-letter
	// topic (dead_lettered) or the retry topic (rescheduled); else nil.
	Letter *Letter
}

// Letter is a letter the engine wrote for a message it gave up on.
type Letter struct {
	// Topic is where it was written.
	Topic string
	// Reason is why, as its error header says: the handler's error,
	// after "gave up after N attempts: " unless it was permanent, capped
	// at 512 bytes.
	Reason string
	// Message is the letter as written, headers included.
	Message message.Message
}

// Result is what became of the messages of one Run.
type Result struct {
	// Deliveries holds one Delivery per message, in the order given.
	Deliveries []Delivery
}

// Outcomes lists each message's outcome, in the order given.
func (r Result) Outcomes() []Outcome {
	out := make([]Outcome, len(r.Deliveries))
	for i, d := range r.Deliveries {
		out[i] = d.Outcome
	}
	return out
}

// DeadLetters lists the letters written to the dead-letter topic, in the
// order of their messages.
func (r Result) DeadLetters() []Letter {
	var out []Letter
	for _, d := range r.Deliveries {
		if d.Outcome == DeadLettered {
			out = append(out, *d.Letter)
		}
	}
	return out
}

// Run is New(reg).Run(t, msgs...).
func Run(t consumertest.TB, reg registry.Registration, msgs ...message.Message) Result {
	t.Helper()
	return New(reg).Run(t, msgs...)
}

// Run passes msgs, in order, through the handler as the engine runs it
// (see the package comment), and returns once every message has its
// outcome. Backoffs and deadlines run in real time, unless Run is called
// inside a testing/synctest bubble, where they take none. It fails t when
// the engine refuses the handler or subscription (the message says why),
// or when the messages have not all reached an outcome within
// consumertest.Patience (a handler that never returns, say).
func (r Runner) Run(t consumertest.TB, msgs ...message.Message) Result {
	t.Helper()
	handlers, err := registry.New(r.reg)
	if err != nil {
		t.Fatalf("handlertest: %v", err)
		return Result{}
	}
	handlers.Use(r.use...)
	entry, _ := handlers.Lookup(r.reg.Name())
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	res, err := runInMemory(ctx, handlers, r.subscription(entry.Batch, len(msgs)), msgs)
	if err != nil {
		t.Fatalf("handlertest: handler %s: %v", r.reg.Name(), err)
		return Result{}
	}
	return res
}

// subscription is the one Run runs under.
func (r Runner) subscription(batch bool, n int) registry.Subscription {
	if r.sub != nil {
		return *r.sub
	}
	if subs := r.reg.Subscriptions(); len(subs) > 0 {
		return subs[0]
	}
	s := registry.Subscription{Topic: DefaultTopic, Handler: r.reg.Name(), Ordering: registry.OrderingPartition,
		DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	if batch {
		s.Batch = registry.BatchConfig{Size: max(n, 1), Linger: time.Second}
	}
	return s
}
