// Package stream is rtdw's stream engine: the job graph builder, the task
// runner, watermarks, timers and the checkpoint coordinator.
//
// A Job is a graph of operators reading topics. It is cut into stages at
// every KeyBy: a KeyBy writes to an internal repartition topic keyed by the
// new key, and the next stage reads it, so every keyed operator sees all
// records of its keys. Each stage runs one task per input partition; a task
// is one goroutine that fetches its partition, pushes each record through
// its chain of operators synchronously, and checkpoints every interval:
// produced records, state changes and input offsets commit in one log.Txn.
// A task that fails restarts from its last checkpoint, so outputs are
// exactly-once however often it crashes.
//
// Event time: a source assigns each record a time; a task's watermark is the
// largest time seen minus the bounded out-of-orderness, held back by the
// slowest non-idle input. Watermarks cross repartition topics as control
// records (one per producer task), so a downstream window closes only when
// every upstream task has passed it.
//
// See docs/DESIGN.md for the diagram and docs/walkthrough.md for one record's trip.
package stream
