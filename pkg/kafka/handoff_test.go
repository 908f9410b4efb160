package kafka

import (
	"testing"

	kafkago "github.com/segmentio/kafka-go"
)

// TestBlockedReasonNamesTargetAndKind: each of the four reasons of
// kafka_consumer_partition_blocked belongs to exactly one target and kind
// of failure (the README's advice differs between them).
func TestBlockedReasonNamesTargetAndKind(t *testing.T) {
	for _, c := range []struct {
		target   handoffTarget
		rejected bool
		want     string
	}{
		{toDeadLetter, false, blockedDeadLetterUnavailable},
		{toDeadLetter, true, blockedDeadLetterRejected},
		{toRetryTopic, false, blockedRetryTopicUnavailable},
		{toRetryTopic, true, blockedRetryTopicRejected},
	} {
		if got := blockedReason(c.target, c.rejected); got != c.want {
			t.Errorf("blockedReason(%d, rejected %v) = %s, want %s", c.target, c.rejected, got, c.want)
		}
	}
}

// TestLetterProducerIsItsOwnClient: the letter writer names itself apart
// from the handlers' Publisher (<group>-letters, in the broker's logs and
// quotas), compresses, and leaves the size limit to the broker. Opening
// it dials nothing.
func TestLetterProducerIsItsOwnClient(t *testing.T) {
	var l letterProducer
	l.open([]string{"127.0.0.1:1"}, connection{}, "orders", false)
	if l.transport.ClientID != "orders-letters" {
		t.Errorf("client id %q, want orders-letters", l.transport.ClientID)
	}
	if l.writer.Compression != kafkago.Lz4 || l.writer.BatchBytes != maxLetterBytes || l.writer.RequiredAcks != kafkago.RequireAll {
		t.Errorf("writer compression %v, batch bytes %d, acks %v", l.writer.Compression, l.writer.BatchBytes, l.writer.RequiredAcks)
	}
}
