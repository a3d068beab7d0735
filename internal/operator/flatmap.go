package operator

import "github.com/rtdw/rtdw/internal/stream"

// FlatMap calls fn with an emit function that may be called any number of
// times per record.
func FlatMap(fn func(rec *stream.Record, emit func(stream.Record)) error) stream.Factory {
	return func() stream.Operator { return &flatMap{fn: fn} }
}

type flatMap struct {
	fn func(*stream.Record, func(stream.Record)) error
}

func (f *flatMap) Open(*stream.Context) error { return nil }

func (f *flatMap) Process(rec *stream.Record, out stream.Emitter) error {
	return f.fn(rec, func(r stream.Record) { out.Emit(0, &r) })
}
