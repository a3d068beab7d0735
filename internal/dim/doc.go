// Package dim is the dimension layer's storage: a Store of dimension tables
// (rows keyed by the config's sink_row_key, values are JSON objects
// restricted to sink_columns), two backends (embedded Pebble, Redis), and
// the cached Getter lookups use (LRU + TTL, invalidated on change).
//
// dim_app writes through Store; lookup joins read through a Getter. Writes
// are idempotent upserts, so a replay after a crash converges to the same
// rows (DESIGN: external sinks are flushed before a checkpoint commits).
//
// Invalidation: every write (Put, Delete, CreateTable, DropTable) announces
// the change to subscribers (Notifier) after it is visible to readers: in
// process for Pebble, by Redis PUBLISH on <prefix>dim:invalidate for Redis,
// so caches in other processes drop the row too. A Cache also expires
// entries after its TTL, which bounds staleness when an invalidation is
// lost (a subscriber reconnecting clears its whole cache for that reason).
//
// Pebble key layout (namespace 0x30; the log owns 0x01-0x07, keyed state
// 0x20-0x2f):
//
//	0x30 't' table            -> table meta (JSON: columns, row key)
//	0x30 'r' table 0x00 key   -> row (JSON object)
//	0x30 'q' table 0x00 key   -> sequence of the key's last guarded write (seq.go)
//
// Redis key layout (prefix from the configuration, may be empty):
//
//	<prefix>dim:tables        hash: table -> table meta (JSON)
//	<prefix>dim:<table>:<key> string: row (JSON object)
//	<prefix>dimseq:<table>    hash: key -> sequence of its last guarded write (seq.go)
//	<prefix>dim:invalidate    pub/sub channel: table 0x00 key ("" key: whole table)
package dim
