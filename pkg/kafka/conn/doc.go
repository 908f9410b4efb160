// Package conn is how every client of the engine reaches the brokers and
// lets go of them.
//
// TLSConfig and SASLConfig are the kafka.tls and kafka.sasl settings;
// their Validate methods list every problem, each naming its setting, and
// read the certificate files, so a missing or unparsable file is found
// before any connection. New turns them into Settings, from which each
// client takes its Dialer (readers, the consumer group), its own
// Transport (writers, admin requests), or a BrokerConn (DialBroker: one
// connection to one broker speaking kafka-go's protocol messages, which
// the session fetcher owns).
//
// Settings.Check connects as every client will (TCP, TLS, SASL, a first
// request) and names why the brokers cannot be used: refused credentials,
// a broker certificate from an unknown authority, expired or issued for
// another name, a client certificate the listener requires, or TLS on one
// side only. Those wrap ErrRejected: retrying cannot fix them, so the
// engine stops at start rather than retry joining forever. conntest reads
// the same settings from the environment for tests.
//
// Brokers says where the brokers are. It is asked at a client's Start,
// never at construction: the embedded broker's address exists only once it
// started.
//
// CloseWithin bounds a kafka-go Close, which can block indefinitely on a
// broken connection (kafka-go issues 428, 1248, 1353): a shutdown never
// hangs on one.
package conn
