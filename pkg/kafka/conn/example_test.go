package conn_test

import (
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// Settings are validated with the rest of the configuration, then built
// once per client at its start.
func ExampleNew() {
	tls := conn.TLSConfig{}
	sasl := conn.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "consumer", Password: "secret"}
	if errs := append(tls.Validate(), sasl.Validate()...); len(errs) > 0 {
		fmt.Println(errs)
		return
	}
	s, err := conn.New(tls, sasl)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Dialer().SASLMechanism.Name(), s.Transport("orders-publisher").ClientID)
	// Output: SCRAM-SHA-512 orders-publisher
}

func ExampleSASLConfig_Validate() {
	for _, err := range (conn.SASLConfig{Mechanism: "PLAIN", Username: "consumer"}).Validate() {
		fmt.Println(err)
	}
	// Output: kafka.sasl.mechanism PLAIN needs kafka.sasl.username and kafka.sasl.password (or kafka.sasl.password_file)
}
