// Package olap loads DWS rows into an analytical database and reads them
// back.
//
//   - olap.go: Table, Column, Type, the Sink and Querier interfaces.
//   - row.go: decoding a JSON row into typed values (DecodeRow), the one
//     validation every backend and the load job share.
//   - config.go: Config (the `olap:` block of rtdw.yaml) and Open, which
//     picks a backend registered by internal/connector/{duckdb,postgres,
//     streamload,clickhouse} (import internal/olap/backends for all).
//   - load.go: LoadJob, the stream job that reads one topic per table and
//     upserts its rows (deletes the keys of records marked HeaderOp =
//     OpDelete, on a Deleter) before each checkpoint commits.
//   - versioned.go: VersionedSink, the per-key versions that fence a
//     zombie worker's late writes (cluster mode).
//   - result.go: the values of a query's Result (NormalizeValue,
//     FormatValue, ScanSQL; DecimalString for WithExactDecimals).
//   - reload.go: HasTable, with which the load path notices a table the
//     database lost, to reload it from its topic.
//   - tables.go: Tables, a sink's registry of ensured tables, which looks
//     a write's table up and decodes its batch the same way for every
//     backend.
//
// Exactly-once: the load job upserts a task's buffered rows in
// PrepareCheckpoint, before the checkpoint (input offsets) commits. A crash
// after the upsert and before the commit replays those rows; the upsert by
// primary key makes the replay a no-op, and Stream Load's deterministic
// labels make the replay of the same batch not even load. On a
// VersionedSink (DuckDB, PostgreSQL, ClickHouse, Doris; StarRocks for
// upserts only) every write carries a per-key version that grows with the
// input, and the database refuses an older one, so a zombie worker's late
// flush cannot undo the newer writes of the worker that took its
// partition over (LoadJob; docs/decisions/2026-12-06-fencing-sink-writes.md).
package olap
