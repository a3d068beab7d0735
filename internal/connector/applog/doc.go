// Package applog is the app-log collector: the role nginx + Flume play in
// the classic gmall pipeline. It writes app-log lines (one JSON object per
// line, SPEC §1 topic_log) to topic_log keyed by common.mid, from two
// inputs:
//
//   - an HTTP endpoint (Handler): POST newline-separated JSON lines, plain
//     or gzip; the response is 2xx only once the whole batch is in the log;
//   - a file tailer (Tailer): glob patterns, positions by file identity
//     (device + inode) and offset, rename and copytruncate rotation, a
//     partial last line waits for its newline.
//
// Every line is validated on its own (valid UTF-8, a JSON object, a string
// common.mid); a bad line goes to the dead-letter topic dirty_data with the
// engine's dead-letter headers (stream.HeaderReason "code: detail",
// HeaderJob "ingest_applog", HeaderSource) and is counted; it never rejects
// the rest of its batch.
//
// Durability: both inputs go through one Collector, which commits records
// with its bookkeeping (file positions, HTTP request ids) in one log.Txn
// when the log has a state store (embedded mode): a kill -9 neither loses
// nor duplicates a tailed line, and a retried request with the same
// X-Request-Id is not written twice. Batches that arrive while a commit
// syncs share the next one (a group commit, Collector.commit). On Kafka the same holds through a
// Kafka transaction per batch: its records plus the file positions and the
// request id as records of the compacted topic PositionTopic(name), read
// back (read_committed, once no transaction is open) at start; the
// transactional id fences a second collector with the same name. Only on a
// log with neither (a running rtdw reached over HTTP) do positions go to a
// position file written after each commit: at-least-once (a crash between
// the two re-reads the last chunk).
package applog
