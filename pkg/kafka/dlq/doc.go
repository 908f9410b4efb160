// Package dlq is what a dead letter carries and how it goes back.
//
// When a message finally fails, the engine writes it to its subscription's
// dead-letter topic: the same key and value, its original headers (without
// retry.* ones), and the headers named here — where it was first consumed,
// why it failed, how often it was tried and when. Operators, tools and
// Replay rely on these names; they do not change.
//
// Replay is `consumer dlq replay`: it reads a snapshot of a dead-letter
// topic and writes every matching letter back to its original topic (or
// to another), at-least-once, acknowledged by every in-sync replica. It
// needs real brokers: the embedded broker lives only inside a running
// service.
package dlq
