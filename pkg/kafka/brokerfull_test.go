//go:build !brokerfree

package kafka

// brokerFreeBuild is false in the full build: every test may use a broker.
const brokerFreeBuild = false
