package service

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// FuzzOrdersEnricherDecode: any bytes as an order on topic orders. An
// order decodeOrder refuses fails permanently (message.Permanent: the same
// bytes never decode differently on a retry), never panics; one it accepts
// is exactly one JSON object (nothing after it, which would be a second
// order or garbage), a valid order, and encodes back to itself. In a batch
// beside a valid order it fails that message alone: the valid one is
// written, enriched, whatever the other holds.
func FuzzOrdersEnricherDecode(f *testing.F) {
	f.Add([]byte(validOrder("o-1", "c-00003")))
	f.Add([]byte(`{"id":"o-2","customer_id":"c-00004","amount_cents":1,"created_at":"2026-11-01T12:00:00.5+02:00"}`))
	f.Add([]byte(`{"id":"o-3","customer_id":"c-99999999","amount_cents":1250,"created_at":"2026-11-01T12:00:00Z"}`))
	f.Add([]byte(`{"id":"","customer_id":"","amount_cents":0}`))
	f.Add([]byte(`{"id":"o-4","customer_id":"c-00001","amount_cents":-5,"created_at":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"o-5","customer_id":"c-00001","amount_cents":1250,"created_at":"2026-11-01T12:00:00Z","coupon":"x"}`))
	f.Add([]byte(`{"id":"o-6","customer_id":"c-00001","amount_cents":1.5,"created_at":"2026-11-01T12:00:00Z"}`))
	f.Add([]byte(validOrder("o-7", "c-00001") + validOrder("o-8", "c-00002")))
	f.Add([]byte(validOrder("o-9", "c-00001") + "garbage"))
	f.Add([]byte(`{"id":"o-10","customer_id":"c-00001","amount_cents":9223372036854775808,"created_at":"2026-11-01T12:00:00Z"}`))
	f.Add([]byte(`{"id":"o-11","customer_id":"c-00001","amount_cents":1250,"created_at":"2026-13-01T12:00:00Z"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte{})

	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		f.Fatal(err)
	}
	cfg := DefaultConfig()
	customers, cleanup := NewCustomerCache(cache.DefaultConfig(), m)
	f.Cleanup(cleanup)
	svc := NewCustomerService(NewCustomerDirectory(cfg), customers)
	good := validOrder("o-good", "c-00002")

	f.Fuzz(func(t *testing.T, value []byte) {
		o, decodeErr := decodeOrder(value)
		if decodeErr != nil && !message.IsPermanent(decodeErr) {
			t.Fatalf("order %q refused with a transient error: %v", value, decodeErr)
		}
		if decodeErr == nil {
			checkAcceptedOrder(t, value, o)
		}

		pub := &handlertest.Publisher{}
		h := NewOrdersEnricher(svc, NewEnrichedOrderSink(cfg, pub))
		err := h.HandleBatch(context.Background(), []*message.Message{orderMsg(0, string(value)), orderMsg(1, good)})
		var failed map[int]error
		if be := new(message.BatchError); errors.As(err, &be) {
			failed = be.Failed
		} else if err != nil {
			t.Fatalf("order %q beside a valid one: the batch failed whole: %v", value, err)
		}
		if _, ok := failed[1]; ok || len(failed) > 1 {
			t.Fatalf("order %q failed the valid order beside it: %v", value, failed)
		}
		if decodeErr != nil && (failed[0] == nil || !message.IsPermanent(failed[0])) {
			t.Fatalf("undecodable order %q: failed with %v, want a permanent failure", value, failed[0])
		}
		if failed[0] != nil && !message.IsPermanent(failed[0]) {
			t.Fatalf("order %q failed transiently with a working sink: %v", value, failed[0])
		}
		published := pub.Published()
		if len(published) != 2-len(failed) {
			t.Fatalf("order %q: %d published with %d failed, want %d", value, len(published), len(failed), 2-len(failed))
		}
		var last EnrichedOrder
		if err := json.Unmarshal(published[len(published)-1].Value, &last); err != nil || last.ID != "o-good" {
			t.Fatalf("the valid order was written as %q (%v)", published[len(published)-1].Value, err)
		}
	})
}

// checkAcceptedOrder: value, which decodeOrder accepted as o, is one JSON
// value, o is valid, and o encodes to an order decodeOrder reads as o.
func checkAcceptedOrder(t *testing.T, value []byte, o Order) {
	t.Helper()
	if !json.Valid(value) {
		t.Fatalf("order %q accepted as %+v, but it is not one JSON value", value, o)
	}
	if o.ID == "" || o.CustomerID == "" || o.AmountCents <= 0 || o.CreatedAt.IsZero() {
		t.Fatalf("order %q accepted as %+v, which is invalid", value, o)
	}
	again, err := json.Marshal(o)
	if err != nil {
		t.Fatalf("accepted order %+v does not encode: %v", o, err)
	}
	back, err := decodeOrder(again)
	if err != nil || back.ID != o.ID || back.CustomerID != o.CustomerID || back.AmountCents != o.AmountCents || !back.CreatedAt.Equal(o.CreatedAt) {
		t.Fatalf("order %+v encoded as %s decodes as %+v (%v)", o, again, back, err)
	}
}
