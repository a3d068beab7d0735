// Package embedded implements log.Log in one process: record bodies in
// per-partition segment files (segment.go), everything that must change
// atomically in one Pebble store, whose batch is the commit point: topic
// metadata, consumer group offsets, each partition's committed end, segment
// sizes, a sparse offset index, and keyed state (see codec.go for the key
// space; the state package owns 0x20-0x2f).
//
// A commit writes its frames to the segment files, syncs them, then commits
// one Pebble batch (records' metadata + group offsets + state); Open cuts
// whatever a crash left past the committed ends. Concurrent commits are
// grouped (groupcommit.go) so they share fsyncs and one batch; each txn is
// still all or nothing. Offsets are assigned at commit time under one
// mutex, so readers never see a gap or an uncommitted record: every fetch is
// read_committed.
package embedded
