// Package streamload is the Doris and StarRocks OLAP backend.
//
// Rows load with Stream Load: an HTTP PUT of the batch to the FE at
// /api/{db}/{table}/_stream_load with `Expect: 100-continue` (the FE
// answers before the body is sent), basic auth and a label; the FE
// redirects (307) to a BE, to which the request is re-sent with its body
// and credentials. Doris gets JSON lines (read_json_by_line), StarRocks a
// JSON array (strip_outer_array). The label is the batch's identity
// (olap.Label, set by the load job from the input offsets and a content
// hash): a replayed batch answers "Label Already Exists" and is not loaded
// twice; "Publish Timeout" means committed (visible shortly). Either way
// the table's key model (Doris UNIQUE KEY merge-on-write, StarRocks
// PRIMARY KEY) makes a load an upsert. Delete (olap.Deleter) loads the
// keys with StarRocks' __op = 1 (the columns header names __op) or Doris'
// __DORIS_DELETE_SIGN__ = 1 (the hidden_columns header). Versioned loads
// (olap.VersionedSink, versioned.go): Doris tables have a hidden BIGINT
// sequence column that every load maps (function_column.sequence_col),
// deletes included (merge_type: DELETE; plain loads and deletes send
// sequence 0); StarRocks tables have a column
// _rtdw_version, and versioned upserts are conditional updates
// (merge_condition), deletes plain. Load (a Request
// with extra headers) is the raw Stream Load the SQL layer's starrocks and
// doris sinks use for tables rtdw did not create.
//
// DDL and queries go through the FE's MySQL-protocol port
// (go-sql-driver/mysql). Tables are partitioned by day on cur_date with
// automatic partitions, created on first load: Doris `AUTO PARTITION BY
// RANGE (date_trunc(cur_date, 'day'))` (Doris >= 2.1), StarRocks
// `PARTITION BY date_trunc('day', cur_date)` (StarRocks >= 3.1), so
// replays of old days never hit a missing partition. StarRocks limits a
// primary key to 128 bytes.
//
// No Doris or StarRocks server runs here: the tests use a protocol-level
// fake (fake_test.go): an FE that checks auth and 100-continue and
// redirects, a BE that enforces labels and parses JSON, a MySQL-protocol
// front (go-mysql's server package) that checks the DDL, with DuckDB
// executing the SQL.
package streamload
