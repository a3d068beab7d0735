package operator

import "github.com/rtdw/rtdw/internal/stream"

// Filter keeps records for which keep returns true. An error (use
// stream.BadInput) dead-letters the record.
func Filter(keep func(*stream.Record) (bool, error)) stream.Factory {
	return func() stream.Operator { return &filter{keep: keep} }
}

type filter struct {
	keep func(*stream.Record) (bool, error)
}

func (f *filter) Open(*stream.Context) error { return nil }

func (f *filter) Process(rec *stream.Record, out stream.Emitter) error {
	ok, err := f.keep(rec)
	if ok && err == nil {
		out.Emit(0, rec)
	}
	return err
}
