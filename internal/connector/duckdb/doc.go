// Package duckdb is the embedded OLAP backend (the default): DWS tables in
// one DuckDB file, <data dir>/olap/gmall_realtime.duckdb.
//
// Loads go through DuckDB's query Appender: a batch is appended as a
// temporary relation and one INSERT moves it into the table, inside one
// transaction; when a key of the batch is in the table already (an
// updated window, rows loaded again after a restart), that transaction
// fails and an INSERT OR REPLACE (an upsert by primary key) does the load
// instead, as it does the table's next few (Sink.upsert: a plain INSERT
// costs less than half of one). One writer at a
// time (a mutex); queries use other connections of the pool and see the
// last committed load (DuckDB's MVCC), so the dashboard reads while jobs
// load. DuckDB lets one process open a file for writing: `rtdw query`
// opens it read-only, which works while no rtdw process is writing it.
//
// Versioned loads (olap.VersionedSink, versioned.go) keep each key's
// version, and deletes' tombstones, in the side table _rtdw_versions and
// skip a write older than the key's version, in the load's transaction.
//
// Unless Options.AllowExternalAccess, the database starts with
// enable_external_access=false and lock_configuration=true: queries
// cannot read or write files (read_csv, COPY ... TO, EXPORT DATABASE,
// ATTACH), install or load extensions, or change a setting; a query is
// one statement (docs/olap.md, "Queries are confined").
package duckdb
