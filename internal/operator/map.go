package operator

import "github.com/rtdw/rtdw/internal/stream"

// Map replaces each record by fn's result (derive it with rec.Derive to
// keep the source position for dead letters).
func Map(fn func(*stream.Record) (stream.Record, error)) stream.Factory {
	return func() stream.Operator { return &mapOp{fn: fn} }
}

type mapOp struct {
	fn func(*stream.Record) (stream.Record, error)
}

func (m *mapOp) Open(*stream.Context) error { return nil }

func (m *mapOp) Process(rec *stream.Record, out stream.Emitter) error {
	r, err := m.fn(rec)
	if err != nil {
		return err
	}
	out.Emit(0, &r)
	return nil
}
