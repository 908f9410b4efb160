package delivery

import (
	"errors"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// ErrorAt returns the error for the message at index i of a call that
// returned err: nil when that message succeeded. A *message.BatchError
// (however wrapped) fails only the indexes it lists; any other error fails
// every message of the call.
func ErrorAt(err error, i int) error {
	if err == nil {
		return nil
	}
	var be *message.BatchError
	if errors.As(err, &be) {
		return be.Failed[i]
	}
	return err
}
