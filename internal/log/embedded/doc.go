// Package embedded implements log.Log on one Pebble store: topics, consumer
// group offsets and keyed state share the store, so a checkpoint (records +
// offsets + state) is a single atomic Pebble batch.
//
// Key space (first byte is the namespace; the state package owns 0x20-0x2f):
//
//	0x01 name                       -> topic meta (JSON)
//	0x02 topicID(4) part(4) off(8)  -> record
//	0x03 group 0x00 topicID(4) part(4) -> committed offset (8)
//	0x04 topicID(4) part(4)         -> log start offset (8), moved by retention
//
// Offsets are assigned at commit time under one mutex, so readers never see
// a gap or an uncommitted record: every fetch is read_committed.
package embedded
