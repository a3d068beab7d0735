// Package log defines rtdw's partitioned, offset-addressed record log: the
// contract every topic backend (embedded Pebble, Kafka) implements.
//
// The interface is deliberately Kafka-shaped so jobs are written once and run
// on either backend: topics have a fixed number of partitions; a record's
// partition is the Kafka-compatible murmur2 hash of its key; consumers fetch
// from an offset; consumer groups store committed offsets; and a Txn commits
// produced records, consumed offsets and (optionally) a state batch
// atomically, which is what makes jobs exactly-once.
//
// The package logtest holds the conformance suite any implementation must pass.
package log
