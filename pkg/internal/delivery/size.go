package delivery

import "github.com/consumerkit/consumerkit/pkg/message"

// Size is the number of payload bytes m holds (key, value and headers):
// what the engine's in-flight and batch byte limits count.
func Size(m *message.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
