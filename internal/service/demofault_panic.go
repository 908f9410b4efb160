package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// panicEvery picks the orders the panic fault panics on: those whose id
// ends in a number that is a multiple of it (o-…-0, o-…-1000, …), 0.1%
// of a producer that numbers its orders in sequence, as the demo feed and
// the soak do.
const panicEvery = 1000

// panicDepth is how many frames deep the panic fault panics, so the stack
// the framework recovers and logs is as deep as a real one.
const panicDepth = 48

// panicHandler is the panic fault around the handler: the first call of
// a batch that holds a chosen order (PanicsOn) panics, deep in a call
// stack, before the handler runs; a later attempt of the same messages
// goes through. What the framework shows: the panic is recovered into an
// error, counted in kafka_consumer_handler_panics_total, its stack
// logged, and the batch retried, so every order still ends in success
// (outcome retried) and nothing is dead-lettered for it.
type panicHandler struct {
	next message.BatchHandler
}

// HandleBatch implements message.BatchHandler.
func (h panicHandler) HandleBatch(ctx context.Context, msgs []*message.Message) error {
	for _, m := range msgs {
		if m.Attempts <= 1 && PanicsOn(m.Value) {
			panicDeep(panicDepth, orderID(m.Value))
		}
	}
	return h.next.HandleBatch(ctx, msgs)
}

// PanicsOn reports whether the panic fault panics on the first attempt of
// a call holding the order encoded in value: a JSON object whose "id"
// ends in "-N" with N a multiple of 1,000 (the rest of the order may be
// invalid; a value that is no JSON object has no id, and is never
// chosen). Producers use it to know which of their orders will panic.
func PanicsOn(value []byte) bool {
	id := orderID(value)
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return false
	}
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	return err == nil && n%panicEvery == 0
}

// orderID is the id of the order in value, "" when value holds none.
func orderID(value []byte) string {
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(value, &o) != nil {
		return ""
	}
	return o.ID
}

// panicDeep panics depth calls below its caller.
func panicDeep(depth int, id string) {
	if depth == 0 {
		panic(fmt.Sprintf("demo fault panic: order %s", id))
	}
	panicDeep(depth-1, id)
}
