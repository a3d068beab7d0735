// Package ods is the raw layer as jobs read it (SPEC §1): topic_db in any
// of its formats (Maxwell, Debezium/Flink CDC, Canal), normalized to one
// Maxwell change per record with its event time, before the DIM and DWD
// jobs route it; and the topic_log fields more than one layer reads
// (PageDuration).
package ods
