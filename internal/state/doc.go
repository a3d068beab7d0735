// Package state is rtdw's keyed state: value state, map state and timers,
// each scoped by job, operator and partition, with optional TTL.
//
// State lives in the LSM store, not in Go maps, so memory does not grow
// with the number of keys. Writes collect in a bounded write-back buffer
// (the last value or deletion per key) and timers in an in-memory ordered
// index per scope; Store.Batch writes both into the store's current
// checkpoint batch (an indexed Pebble batch, so reads see the task's own
// writes), which the task hands to the log's Txn, which commits it
// atomically with the task's outputs and input offsets. A key written many
// times between checkpoints is written once to the batch (and to a
// cluster-mode changelog). Until the commit nothing is visible, and a crash
// simply loses the batch: the task restarts from the last checkpoint.
//
// Key layout (namespace 0x20, below the log's namespaces' neighbours):
//
//	0x20 scope name 'v' len(key) key            -> expireAt, value
//	0x20 scope name 'm' len(key) key mapKey     -> expireAt, value
//	0x21 scope kind ts(8) key                   -> timer (empty value)
//
// where scope = len(job) job len(operator) operator partition(4), and
// expireAt is a varint: 0 for no TTL, a positive processing-time instant
// (epoch ms), or minus an event-time instant (expired once the handle's
// event-time clock reaches it).
package state
