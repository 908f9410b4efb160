// Package message is what a handler author writes against, independent of
// Kafka: the Message a handler is given (with its Header), the two handler
// kinds (Handler and BatchHandler, and their Func adapters), the errors a
// handler returns to say what failed (Permanent, IsPermanent, BatchError),
// and Middleware, which wraps a Call of either kind, composed by Chain.
//
// Contracts, in short (each type's comment has the whole of its own):
//   - A call is one attempt under its own deadline; returning nil means
//     every message of the call is done and will be committed.
//   - An error is the attempt's failure: the framework calls again with
//     the messages it fails (only those a *BatchError lists, else all of
//     them) until their attempts are used up, then, as the subscription
//     is configured, writes each to its retry topic or its dead-letter
//     topic, or logs it as failed and commits past it. A Permanent error
//     skips the remaining attempts and the retry topic.
//   - A handler reads a Message and does not change its payload (the
//     message's letters are built from it); its delivery fields
//     (Attempts, FirstFailure, LastFailure) are copies of the engine's
//     record, so writing them changes nothing.
//   - The *Message and ctx a call is given are valid until it returns:
//     the engine reuses both (Message says what to copy to keep).
//
// What becomes of each message — outcomes, backoffs, letters, commits — is
// the engine's and is not part of this package. A handler written against
// it is testable without a broker. The package imports only the standard
// library.
package message
