// Package conntest is what tests need to reach brokers securely: the
// connection settings of the environment, read as the consumer binary
// reads them, for tests that build their own clients next to the ones
// under test; and certificates made for one test (a CA, and server
// certificates that are valid, expired or for another name).
//
// It imports only package conn and the standard library, so the engine's
// own tests can use it.
package conntest
