//go:build brokerfree

package kafka

// brokerFreeBuild: this test binary was built with the brokerfree tag, so
// a test that reaches newTestBroker is in a file missing its
// `//go:build !brokerfree` line.
const brokerFreeBuild = true
