// Package e2e tests the built consumer binary against a real Apache Kafka
// with clients nobody on this project wrote: kcat produces and reads, and
// Kafka's own ConsumerGroupCommand reports the group's lag. The tests carry
// the e2e build tag and need KAFKA_BROKERS, KAFKA_CLASSPATH and kcat; run
// them with `make test-e2e` after `make kafka-up`. Missing any of these
// fails the tests: they never skip.
//
// The container tests (the e2e and container tags: `make test-container`)
// build the image with `make image` and run it with podman, read-only as
// 65532, against the same broker; they also need podman (and runc where
// scripts/containers.conf applies).
//
// Every test connects kcat and Kafka's tools as the environment's
// KAFKA_TLS_* and KAFKA_SASL_* connect the binary, so the same tests run
// against a broker that requires TLS and SASL. The tests of refused
// connections and of secrets (the e2e and secured tags: `make
// test-secure`) need that broker: `KAFKA_SECURITY=sasl_ssl make
// kafka-up`.
//
// The soak (the e2e and soak tags: `make soak`) runs the binary for
// SOAK_DURATION against the broker of KAFKA_BROKERS and judges its
// samples with package soak; it needs neither kcat nor Kafka's tools.
package e2e
