package exec

import (
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// Collect returns a terminal operator that hands each input row, cloned
// (the callee may keep it), with its row kind, to fn: the SQL client shows
// a SELECT's result with it. Every task calls fn from its own goroutine,
// so fn must be safe for concurrent use when the stage has several tasks.
// An untyped record is dead-lettered (code "untyped_record").
func Collect(fn func(r row.Row)) stream.Factory {
	return func() stream.Operator { return collect(fn) }
}

type collect func(r row.Row)

func (collect) Open(*stream.Context) error { return nil }

func (c collect) Process(rec *stream.Record, _ stream.Emitter) error {
	in, err := TypedRow(rec, "collect", 0)
	if err != nil {
		return err
	}
	c(in.Clone())
	return nil
}
