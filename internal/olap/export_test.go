package olap

import "github.com/rtdw/rtdw/internal/stream"

// NewLoader makes the load job's operator for one table, for tests that
// run it in a stream.Harness.
func NewLoader(t Table, sink Sink) stream.Factory { return newLoader(t, sink) }
