// Package mock simulates the gmall shop: the data source for demos, tests and
// benchmarks. For now it holds the app-log simulator (topic_log); the
// business-database simulator (topic_db) will live here too.
//
// # App logs
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
