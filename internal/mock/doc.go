// Package mock simulates the gmall shop: the data source for demos, tests and
// benchmarks (docs/simulator.md).
//
// # The shop
//
// Shop simulates sessions and the business they do (SPEC §6): each call to
// Next returns the next app-log line or database transaction in event-time
// order. Tasks (session pages, payment callbacks, cancels, refund steps,
// comments) run from a queue ordered by time; their outputs wait in a second
// queue until no pending task can produce anything earlier, so the output is
// ordered although a page's actions land seconds after the page opens.
// Transactions render as Maxwell JSON (Txn.AppendMaxwell), Maxwell's Kafka
// key, or SQL statements; sinks write them to files, log topics, MySQL or an
// HTTP collector. The schema, seed and config rows are the embedded
// schema/*.sql files, parsed once (schema.go).
//
// # App logs only
//
// LogGenerator produces gmall topic_log lines, one JSON object per call to
// Next, in the format the public gmall mock project emits (field names and key
// order included): a session opens with a start log, then one page log per
// page of a path drawn from the weighted paths of the gmall mock
// (mock-log-path.json), carrying displays, actions and, with probability
// LogConfig.ErrRate, an err block.
//
// Sessions overlap in time as they would on a real site: a new session starts
// every ~0.5 s of simulated time (scaled so that about one million lines span
// the business day) and the generator always emits the pending line with the
// smallest ts, so ts never decreases across lines, and inside a session every
// page's ts is the previous page's ts plus its during_time. Simulated time
// starts at 00:00 of LogConfig.Date in LogConfig.Location and keeps
// increasing; it does not wrap at midnight.
//
// Output is a pure function of the configuration: the same LogConfig gives the
// same byte sequence (for a given build of the program; math/rand/v2 makes no
// promise that derived methods such as IntN stay identical across Go
// releases).
//
// The hot path builds JSON with append and strconv; it allocates nothing once
// the session pool has warmed up.
package mock
