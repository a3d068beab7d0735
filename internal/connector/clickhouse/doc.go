// Package clickhouse is the ClickHouse OLAP backend, over ClickHouse's
// HTTP interface (port 8123) with net/http.
//
// Tables are ReplacingMergeTree(_rtdw_version, _rtdw_is_deleted) ORDER BY
// the key, PARTITION BY cur_date: rows of one key are replaced at merges
// by the one with the highest version (plain upserts leave it 0: the last
// insert wins), and queries run with the `final=1` setting (FINAL on
// every table) so they see one row per key before merges happen, and no
// row for a key whose last version is a delete. Versioned loads
// (olap.VersionedSink, versioned.go) insert rows with their versions and
// deletes as rows with _rtdw_is_deleted = 1. A load is one INSERT ... FORMAT JSONEachRow whose
// insert_deduplication_token is the batch's label (olap.Label): a replayed
// batch is dropped by ClickHouse's insert deduplication (the tables set
// non_replicated_deduplication_window), and would only repeat an upsert
// if it were not. Queries run with readonly=2 and answer in JSONCompact.
// Delete (olap.Deleter) is a lightweight DELETE (ClickHouse >= 23.3) of
// every version of the keys. InsertJSON is the raw insert the SQL layer's
// clickhouse sink uses for tables rtdw did not create.
//
// Why not clickhouse-go: its HTTP mode exchanges Native-format blocks,
// which a test fake would have to decode and encode byte for byte; the
// HTTP interface with text formats is ClickHouse's documented, stable
// protocol and the fake (fake_test.go, a ClickHouse HTTP endpoint with
// DuckDB executing the SQL) stays small and faithful. No ClickHouse
// server runs here (Debian's is from 2018).
package clickhouse
