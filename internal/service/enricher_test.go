package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

func newEnricher(t *testing.T, pub Publisher) (*OrdersEnricher, *CustomerCache) {
	t.Helper()
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	c, cleanup := NewCustomerCache(cache.DefaultConfig(), m)
	t.Cleanup(cleanup)
	svc := NewCustomerService(NewCustomerDirectory(cfg), c)
	return NewOrdersEnricher(svc, NewEnrichedOrderSink(cfg, pub)), c
}

func orderMsg(offset int64, value string) *message.Message {
	return &message.Message{Topic: "orders", Offset: offset, Value: []byte(value)}
}

func validOrder(id, customer string) string {
	b, _ := json.Marshal(Order{ID: id, CustomerID: customer, AmountCents: 1250, CreatedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)})
	return string(b)
}

func TestEnricherWritesEnrichedOrdersKeyedByCustomer(t *testing.T) {
	pub := &handlertest.Publisher{}
	h, _ := newEnricher(t, pub)
	err := h.HandleBatch(context.Background(), []*message.Message{
		orderMsg(0, validOrder("o-1", "c-00003")),
		orderMsg(1, validOrder("o-2", "c-00004")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Published()) != 2 {
		t.Fatalf("published %d, want 2", len(pub.Published()))
	}
	var got EnrichedOrder
	if err := json.Unmarshal(pub.Published()[0].Value, &got); err != nil {
		t.Fatal(err)
	}
	if pub.Published()[0].Topic != "orders.enriched" || string(pub.Published()[0].Key) != "c-00003" ||
		got.ID != "o-1" || got.CustomerName != "Customer 3" || got.CustomerTier != "bronze" {
		t.Fatalf("unexpected output %s key=%s: %+v", pub.Published()[0].Topic, pub.Published()[0].Key, got)
	}
}

// batchErrorAt is the error a batch call's result gives message i. The
// enricher must fail messages one by one, through a *message.BatchError,
// never the whole batch.
func batchErrorAt(t *testing.T, err error, i int) error {
	t.Helper()
	var be *message.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("HandleBatch returned %v, want a *message.BatchError", err)
	}
	return be.Failed[i]
}

func TestEnricherFailsOnlyBadMessagesPermanently(t *testing.T) {
	pub := &handlertest.Publisher{}
	h, _ := newEnricher(t, pub)
	msgs := []*message.Message{
		orderMsg(0, validOrder("o-1", "c-00001")),
		orderMsg(1, `{"id":`),                     // malformed JSON
		orderMsg(2, validOrder("o-3", "c-99999")), // unknown customer
		orderMsg(3, `{"id":"o-4","customer_id":"c-00001","amount_cents":-5,"created_at":"2026-11-01T00:00:00Z"}`),
		orderMsg(4, validOrder("o-5", "c-00002")),
	}
	err := h.HandleBatch(context.Background(), msgs)
	for i, wantFailed := range []bool{false, true, true, true, false} {
		merr := batchErrorAt(t, err, i)
		if (merr != nil) != wantFailed {
			t.Fatalf("message %d: error %v, want failed=%v", i, merr, wantFailed)
		}
		if merr != nil && !message.IsPermanent(merr) {
			t.Fatalf("message %d: %v must be permanent", i, merr)
		}
	}
	if len(pub.Published()) != 2 {
		t.Fatalf("published %d good orders, want 2", len(pub.Published()))
	}
}

func TestEnricherWriteFailureIsTransientForGoodMessages(t *testing.T) {
	pub := &handlertest.Publisher{Fail: func(int, []message.Message) error { return errors.New("broker unavailable") }}
	h, _ := newEnricher(t, pub)
	err := h.HandleBatch(context.Background(), []*message.Message{
		orderMsg(0, validOrder("o-1", "c-00001")),
		orderMsg(1, `not json`),
	})
	if e := batchErrorAt(t, err, 0); e == nil || message.IsPermanent(e) {
		t.Fatalf("good message: %v, want a transient error so it is retried", e)
	}
	if e := batchErrorAt(t, err, 1); !message.IsPermanent(e) {
		t.Fatalf("bad message: %v, want permanent", e)
	}
}

func TestCustomerLookupsShareOneCache(t *testing.T) {
	pub := &handlertest.Publisher{}
	h, c := newEnricher(t, pub)
	var msgs []*message.Message
	for i := range 100 {
		msgs = append(msgs, orderMsg(int64(i), validOrder(fmt.Sprintf("o-%d", i), fmt.Sprintf("c-%05d", i%5+1))))
	}
	if err := h.HandleBatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if got := c.ItemCount(); got != 5 {
		t.Fatalf("cache holds %d customers, want 5 (one entry per distinct customer)", got)
	}
}

func TestDecodeOrderRejectsEveryProblem(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"not json", `hello`},
		{"unknown field", `{"id":"o","customer_id":"c-00001","amount_cents":1,"created_at":"2026-11-01T00:00:00Z","x":1}`},
		{"missing id", `{"customer_id":"c-00001","amount_cents":1,"created_at":"2026-11-01T00:00:00Z"}`},
		{"zero amount", `{"id":"o","customer_id":"c-00001","amount_cents":0,"created_at":"2026-11-01T00:00:00Z"}`},
		{"missing time", `{"id":"o","customer_id":"c-00001","amount_cents":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeOrder([]byte(tt.value)); !message.IsPermanent(err) {
				t.Fatalf("decodeOrder(%s) = %v, want a permanent error", tt.value, err)
			}
		})
	}
}

func TestDemoOrdersAreValidAndKeyedByCustomer(t *testing.T) {
	d := NewDemoOrders(DefaultConfig())
	dir := NewCustomerDirectory(DefaultConfig())
	for seq := range uint64(2000) {
		k, v := d.Next(seq)
		o, err := decodeOrder(v)
		if err != nil {
			t.Fatalf("demo order %d invalid: %v", seq, err)
		}
		if string(k) != o.CustomerID {
			t.Fatalf("key %s, customer %s", k, o.CustomerID)
		}
		if _, err := dir.Lookup(context.Background(), o.CustomerID); err != nil {
			t.Fatalf("demo order %d names an unknown customer: %v", seq, err)
		}
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	errs := Config{InputTopic: "orders", OutputTopic: "orders", Customers: 0}.Validate()
	if len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default invalid: %v", errs)
	}
}
