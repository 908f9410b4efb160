package conntest_test

import (
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// A test that runs against whatever broker the environment names reads
// the connection settings as the binary would: the client.env that
// `scripts/kafka.sh up` writes for its secured broker, sourced into the
// environment, gives TLS and SASL; an empty environment gives neither.
func ExampleFromLookup() {
	env := map[string]string{
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
		"KAFKA_SASL_USERNAME":  "consumer",
		"KAFKA_SASL_PASSWORD":  "s3cret",
	}
	tlsCfg, sasl, err := conntest.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Println(tlsCfg.Enabled, sasl.Mechanism, sasl.Username, err)

	env["KAFKA_SASL_MECHANISM"] = "SCRAM-SHA-1"
	_, _, err = conntest.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Println(err != nil)
	// Output:
	// false SCRAM-SHA-512 consumer <nil>
	// true
}
