package service

import (
	"encoding/json"
	"fmt"
	"time"
)

// DemoOrders makes the demo producer's orders: valid, keyed by customer,
// spread over the directory's customers.
type DemoOrders struct {
	topic     string
	customers int
	now       func() time.Time
}

// NewDemoOrders makes orders for cfg.InputTopic.
func NewDemoOrders(cfg Config) *DemoOrders {
	return &DemoOrders{topic: cfg.InputTopic, customers: cfg.Customers, now: time.Now}
}

// Topic is where the orders go.
func (d *DemoOrders) Topic() string { return d.topic }

// Next returns order number seq, keyed by its customer id.
func (d *DemoOrders) Next(seq uint64) (key, value []byte) {
	customer := fmt.Sprintf("c-%05d", seq*7919%uint64(d.customers)+1)
	o := Order{
		ID:          fmt.Sprintf("o-%d-%d", d.now().Unix(), seq),
		CustomerID:  customer,
		AmountCents: int64(seq%50_000) + 100,
		CreatedAt:   d.now().UTC().Truncate(time.Millisecond),
	}
	v, err := json.Marshal(o)
	if err != nil {
		panic(fmt.Sprintf("demo order cannot be encoded: %v", err)) // a plain struct always encodes
	}
	return []byte(customer), v
}
