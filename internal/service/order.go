package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// Order is the input record of topic orders, keyed by CustomerID.
type Order struct {
	ID          string    `json:"id"`
	CustomerID  string    `json:"customer_id"`
	AmountCents int64     `json:"amount_cents"`
	CreatedAt   time.Time `json:"created_at"`
}

// EnrichedOrder is the output record: the order plus what the service
// looked up. It carries the original id so anyone can match input to output.
type EnrichedOrder struct {
	Order
	CustomerName string `json:"customer_name"`
	CustomerTier string `json:"customer_tier"`
}

// decodeOrder parses and checks an order: one JSON object, nothing after
// it. Every failure is permanent: the same bytes never decode differently
// on a retry.
func decodeOrder(value []byte) (Order, error) {
	var o Order
	dec := json.NewDecoder(strings.NewReader(string(value)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Order{}, message.Permanent(fmt.Errorf("decode order: %w", err))
	}
	// One order is one JSON object: what follows it, a second order or
	// garbage, would otherwise be dropped without a trace.
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Order{}, message.Permanent(fmt.Errorf("decode order: data after the order's end at byte %d", end))
	}
	var problems []string
	if o.ID == "" {
		problems = append(problems, "id is empty")
	}
	if o.CustomerID == "" {
		problems = append(problems, "customer_id is empty")
	}
	if o.AmountCents <= 0 {
		problems = append(problems, fmt.Sprintf("amount_cents %d is not positive", o.AmountCents))
	}
	if o.CreatedAt.IsZero() {
		problems = append(problems, "created_at is missing")
	}
	if len(problems) > 0 {
		return Order{}, message.Permanent(fmt.Errorf("invalid order %q: %s", o.ID, strings.Join(problems, "; ")))
	}
	return o, nil
}
