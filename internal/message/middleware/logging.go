package middleware

import (
	"context"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
)

// Logging logs a message's final result once: dead-lettered or failed
// messages at error level with the reason, rescheduled ones at warn level,
// messages that needed retries at info level. Successes on the first
// attempt are not logged.
func Logging(log *zap.Logger) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := next.Handle(ctx, m)
			switch {
			case err == nil && m.Attempts > 1:
				log.Info("message handled after retries", fields(m)...)
			case err == nil:
			case message.IsRescheduled(err):
				log.Warn("message rescheduled to its retry topic", append(fields(m), zap.Error(err))...)
			case message.IsDeadLettered(err):
				log.Error("message dead-lettered", append(fields(m), zap.Error(err))...)
			case message.IsPermanent(err):
				log.Error("message failed permanently", append(fields(m), zap.Error(err))...)
			default:
				log.Warn("message not done; will be retried", append(fields(m), zap.Error(err))...)
			}
			return err
		})
	}
}

func fields(m *message.Message) []zap.Field {
	return []zap.Field{zap.String("topic", m.Topic), zap.Int("partition", m.Partition),
		zap.Int64("offset", m.Offset), zap.Int("attempts", m.Attempts)}
}
