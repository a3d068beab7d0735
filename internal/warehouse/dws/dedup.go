package dws

import (
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
)

// detailKey keys order details by their id, the dedup id.
func detailKey(r *stream.Record) ([]byte, error) {
	v, err := parse(r)
	if err != nil {
		return nil, err
	}
	id, err := need(v, "id")
	return []byte(id), err
}

// dedupDetails is operator.Dedup with its two ports merged into one
// stream: a correction (the previously counted value of a detail that
// changed) comes out marked with the retract header, just before the new
// value, so the window can subtract one and add the other. A window takes
// one input, so the merge is what lets one aggregate see both.
func dedupDetails(c Config) stream.Factory {
	// No wait: see the package doc (a held record would turn late).
	inner := operator.Dedup(0, c.DedupTTL)
	return func() stream.Operator { return &mergedDedup{inner: inner()} }
}

type mergedDedup struct{ inner stream.Operator }

// retracting re-routes the inner operator's retract port to port 0.
type retracting struct{ out stream.Emitter }

func (r retracting) Emit(port int, rec *stream.Record) {
	if port == 0 {
		r.out.Emit(0, rec)
		return
	}
	cp := *rec
	cp.Headers = append(rec.Headers[:len(rec.Headers):len(rec.Headers)], rlog.Header{Key: retractHeader, Value: []byte("1")})
	r.out.Emit(0, &cp)
}

func (m *mergedDedup) Open(ctx *stream.Context) error { return m.inner.Open(ctx) }

func (m *mergedDedup) Process(rec *stream.Record, out stream.Emitter) error {
	return m.inner.Process(rec, retracting{out})
}

func (m *mergedDedup) OnTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	return m.inner.(stream.TimerHandler).OnTimer(d, ts, key, retracting{out})
}

func (m *mergedDedup) OnEndOfInputTimer(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
	return m.inner.(stream.EndOfInputTimerHandler).OnEndOfInputTimer(d, ts, key, retracting{out})
}

// retracted reports whether dedupDetails marked rec as a correction.
func retracted(rec *stream.Record) bool { return string(rec.Header(retractHeader)) == "1" }

// validBy dead-letters what fn cannot measure before it reaches the dedup:
// a bad correction must not take back a value without adding one.
func validBy(fn func(*stream.Record) (stream.Record, error)) stream.Factory {
	return operator.Filter(func(r *stream.Record) (bool, error) {
		_, err := fn(r)
		return err == nil, err
	})
}
