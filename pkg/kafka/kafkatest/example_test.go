package kafkatest_test

import (
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/kafka/kafkatest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// exampleT stands in for the *testing.T a real test passes: it prints
// what would fail the test and runs the cleanups when told.
type exampleT struct{ cleanups []func() }

func (*exampleT) Helper()                           {}
func (*exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (*exampleT) Fatalf(format string, args ...any) { fmt.Printf("FATAL: "+format+"\n", args...) }
func (t *exampleT) Cleanup(f func())                { t.cleanups = append(t.cleanups, f) }

// end runs the cleanups, as the testing package does when a test ends.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func ExampleStart() {
	t := &exampleT{} // in a test: its *testing.T
	defer t.end()
	broker := kafkatest.Start(t, 4, "orders")
	fmt.Println(len(broker.Addrs()), "broker")
	// Output: 1 broker
}

func ExampleBroker_Produce() {
	t := &exampleT{}
	defer t.end()
	broker := kafkatest.Start(t, 4, "orders")
	first := broker.Produce("orders", 3, message.Message{Key: []byte("c-1"), Value: []byte("o-1")}, message.Message{Key: []byte("c-1"), Value: []byte("o-2")})
	fmt.Println("first offset", first, "end offsets", broker.EndOffsets("orders"))
	// Output: first offset 0 end offsets map[0:0 1:0 2:0 3:2]
}

func ExampleBroker_ReadTopic() {
	t := &exampleT{}
	defer t.end()
	broker := kafkatest.Start(t, 2, "orders.enriched")
	broker.Produce("orders.enriched", 1, message.Message{Key: []byte("c-1"), Value: []byte(`{"id":"o-1"}`)})
	for _, m := range broker.ReadTopic("orders.enriched") {
		fmt.Printf("%s/%d@%d %s %s\n", m.Topic, m.Partition, m.Offset, m.Key, m.Value)
	}
	// Output: orders.enriched/1@0 c-1 {"id":"o-1"}
}

func ExampleBroker_Committed() {
	t := &exampleT{}
	defer t.end()
	broker := kafkatest.Start(t, 2, "orders")
	broker.Produce("orders", 0, message.Message{Value: []byte("o-1")})
	// Before a consumer in group "billing" has committed anything:
	fmt.Println("committed", broker.Committed("billing", "orders"), "end", broker.EndOffsets("orders"))
	// Output: committed map[0:-1 1:-1] end map[0:1 1:0]
}

func ExampleBroker_CreateTopic() {
	t := &exampleT{}
	defer t.end()
	broker := kafkatest.Start(t, 1)
	broker.CreateTopic("payments", 3)
	fmt.Println(broker.EndOffsets("payments"))
	// Output: map[0:0 1:0 2:0]
}

func ExampleBroker_EndOffsets() {
	t := &exampleT{}
	defer t.end()
	broker := kafkatest.Start(t, 2, "orders")
	broker.Produce("orders", 1, message.Message{Value: []byte("o-1")}, message.Message{Value: []byte("o-2")})
	fmt.Println(broker.EndOffsets("orders"))
	// Output: map[0:0 1:2]
}
