// Package postgres is the PostgreSQL OLAP backend (pgx): DWS tables in the
// schema gmall_realtime (on the search path of every connection).
//
// A load COPYs the batch into a temporary staging table (one per table
// and writer connection, emptied at commit) and moves it with INSERT ...
// ON CONFLICT (key) DO UPDATE, in one transaction: an upsert by primary
// key. One writer connection at a time; queries run on a small pool of
// other connections (as Options.QueryDSN's role when given) in READ ONLY
// transactions of one statement, dropping to pg_read_all_data when their
// role could reach server files or programs, unless
// Options.AllowExternalAccess (docs/olap.md, "Queries are confined"). Tables are not partitioned
// (PostgreSQL would need a partition created per day); the primary key
// index serves the per-day queries.
//
// Versioned loads (olap.VersionedSink, versioned.go) keep each key's
// version, and deletes' tombstones, in the side table
// <schema>._rtdw_versions, compared and set with INSERT ... ON CONFLICT
// ... WHERE (which locks the key's version row until the commit) in the
// load's transaction.
package postgres
