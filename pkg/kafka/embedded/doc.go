// Package embedded is where the brokers are: the configured ones, or —
// when none are configured — a broker started in this process, so a
// service runs on a fresh machine with nothing installed.
//
// The embedded broker is franz-go's kfake, which speaks the real Kafka
// protocol: every client (the engine, the publisher, the demo feed) talks
// to it over TCP exactly as to a cluster. It keeps its data in memory, so
// everything is lost on exit; it is for development and tests.
//
// Cluster is a lifecycle component. Start it before every client and stop
// it after all of them: clients ask Addrs at their own Start, and a broker
// stopped under a client makes that client's close wait for its timeout.
// With configured brokers, Start and Stop do nothing and Addrs returns the
// configured list.
package embedded
