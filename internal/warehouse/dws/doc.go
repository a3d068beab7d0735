// Package dws holds the summary-layer jobs (SPEC §4): eleven jobs, one file
// each, that turn DWD topics into 10-second event-time window rows, one
// topic per OLAP table (topic name = table name, key = the primary key
// values joined with "|", value = the row as JSON). Tables lists the
// tables for the loader that upserts those topics.
//
// Every job has the same shape:
//
//	source ─ validate/measure (per-record logic, keyed state where the
//	         table needs first-visit facts) ─ keyBy(window dims) ─ window ─┬─ row [─ lookup] ─► <table>
//	                                                                      └─ late ─► dirty_data (reason "late": after the allowed lateness)
//
// The per-record step turns a fact into a bean: the window's dimension
// values, integer measure deltas (money in cents, so sums are exact) and
// ids counted distinct. One aggregator (window.go) sums beans and renders
// rows from the table's spec (tables.go).
//
// Beans and window state are binary (bean.go): beans cross the
// by_window_key repartition topic, internal to the job, and the window
// (operator.TumblingWindowOf) keeps each accumulator decoded in memory,
// distinct ids in a map, writing it to state only at checkpoints and on
// eviction, so a record costs O(1) whatever the window holds. Data of the
// earlier JSON encoding (beans still in a repartition topic, accumulators
// in state) is read as well. What users read keeps its format: rows are
// JSON, and a late bean is dead-lettered in its JSON form.
//
// Time. Event time is the fact's ts (ms for logs, s×1000 for DB facts;
// create_time at the business time zone for dwd_user_register). Watermark
// = max event time − 3 s (Config.OutOfOrderness). A window [s, s+10 s)
// fires when the watermark passes it. Its totals are kept in state for the
// allowed lateness (Config.AllowedLateness, default 24 h of event time): a
// record arriving for a fired window within it updates the window, whose
// row is emitted again at once, complete (rows are upserts by key, so the
// row is replaced and the DWS totals equal the DWD ones; a restart's
// catch-up, where one partition falls behind the others, is the usual
// cause). A record arriving later than that is counted
// (rtdw_late_records_total) and dead-lettered with reason "late" and its
// bean, never dropped. At the end of a drained run open windows are
// emitted and kept, and a later run re-emits them complete if they
// changed.
//
// Idle timeout: 30 s by default (Config.IdleTimeout), not the engine's 5 s.
// A silent input partition stops holding the window stage's watermark back
// after the idle timeout (windows close when traffic stops on it); but when
// it resumes, its records are late if their event time is behind what the
// other partitions advanced the watermark to (stream/watermark.go: the
// watermark is the minimum over non-idle inputs only). DWS inputs are DWD
// topics written by other jobs: a DWD task that fails restarts from its
// checkpoint with backoff (0.1 s doubling up to 30 s, stream/runner.go) and
// then re-emits records from before the pause. With a 5 s timeout those
// resumed records would land behind the watermark (now they update their
// windows within the allowed lateness, but each such record re-emits a
// row); 30 s covers a restart at the longest backoff. The cost is freshness
// only on sparse topics: a partition with no records delays window closing
// by at most 30 s. Dense topics (page logs) never go idle. When all traffic
// stops, the last window (whose records are within 3 s of the largest event
// time) stays open until new input or the end of a drained run, as in Flink.
//
// First-visit steps (uv, first home/detail view, login, cart-add, order
// and payment users) keep a date per key and see their records in event
// time order (ordered.go): a record waits in state until the watermark
// passes it, so a key's records read from different input partitions give
// the same counts whatever order the tasks read them in (tested: every
// single-run golden case also runs on a 4-partition input).
//
// Dedup of order details (dws_trade_sku_order_window and
// dws_trade_province_order_window): operator.Dedup keyed by the detail id
// with no wait (a record is emitted at once) and an event-time TTL
// (Config.DedupTTL, default 1 h). Its
// corrections (the previously emitted row when the LEFT join later
// completes it) are merged into the main stream marked as retractions, and
// the window subtracts them, so each detail counts once with its latest
// value. Waiting is deliberately zero: the engine assigns watermarks at
// the source, so a record held back for processing time would reach the
// window after the watermark passed it (late) whenever event time runs
// faster than the clock (catch-up, replays).
//
// Tests: testdata/*.txt are golden cases per job (format in
// testdata/README), run on the embedded log with a one-partition input and
// a clock that stands still within a run, so the outcome does not depend on
// timing; enrichment reads a real dim.PebbleStore filled from
// testdata/dims.txt.
//
// Dimensions: dws_trade_sku_order_window (sku → spu → trademark →
// category3 → 2 → 1) and dws_trade_province_order_window (province) are
// enriched after the window; dws_trade_trademark_category_user_refund_window
// looks up the sku's trademark and category3 before the window (they are
// window keys) and names after it. All use operator.Lookup over Config.Dims;
// a missing row leaves its columns null and is counted by the lookup.
package dws
