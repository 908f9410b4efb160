// Package kafkatest gives a test its own Kafka broker and the calls a
// test makes on it: produce to a chosen partition, read a consumer
// group's committed offsets and a topic's end offsets, read a topic back.
//
// The broker is the framework's embedded one (kfake: the real protocol,
// in process, on a free loopback port), private to the test and stopped
// when it ends. It is part of the test kit (see package consumertest)
// but lives under the engine's package because only the engine's
// packages speak Kafka: a test that uses it imports no Kafka client.
package kafkatest
