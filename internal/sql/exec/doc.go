// Package exec holds the physical operators the SQL planner instantiates:
// each is a stream.Factory working on typed rows (Record.Row, with Flink's
// row kinds +I -U +U -D) and emitting typed rows (Value left empty).
//
//	calc.go         projection and filter (Flink's Calc)
//	group_agg.go    unbounded GROUP BY with retraction (GroupAggFunction)
//	rank.go         Top-N by ROW_NUMBER (AppendOnlyTopN / RetractableTopN)
//	dedup.go        keep the first or last row per key (the Deduplicate functions)
//	correlate.go    CROSS JOIN UNNEST and LATERAL TABLE(udtf) (Correlate)
//	sink_collect.go a terminal operator handing rows to a Go function
//	window*.go, over*.go  window TVFs, window aggregation and Top-N, OVER
//	exec_common.go  helpers the operators of the package share
//
// Conventions shared by every operator here:
//
//   - Exactly-once: whatever an operator needs after a restart lives in
//     keyed state (stream.Context Value/Map); in-memory caches are either
//     written through or written back in PrepareCheckpoint, so a restored
//     instance continues exactly where the checkpoint left it.
//   - Bad input never crashes a task: an untyped record, a row of the wrong
//     width, a runtime expression error (code "eval_error") and the like are
//     returned as stream.BadInput and dead-lettered, before anything of the
//     record was emitted or written to state.
//   - Emitted rows are valid during the Emit call only (the engine's rule:
//     receivers clone what they keep); operators reuse their output rows.
//   - Emitted records keep the input record's key, event time, headers and
//     source position.
package exec
