// Package dim is the DIM layer: job dim_app (SPEC §2) routes the business
// database's dimension rows, by the config table table_process_dim, into
// the dimension store (internal/dim), applying config changes live.
//
//	topic_db ─ normalize ─ broadcast(config rows) ─ route by config ─ write to dim store
//	                          (every task gets every      (held back until the
//	                           table_process_dim change)   watermark when no rule yet)
package dim
