package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// Helpers shared by the operators of this package (and free for any other
// operator file of it to use).

// EvalError turns an expression or function error into the dead letter
// of the record it was evaluated on (code "eval_error"); a BadInputError
// passes unchanged.
func EvalError(err error) error {
	if _, ok := stream.AsBadInput(err); ok {
		return err
	}
	return stream.BadInput("eval_error", "%v", err)
}

// TypedRow returns rec's row, or the BadInputError for an untyped record
// (code "untyped_record") or a row narrower than minWidth columns (code
// "bad_row"). op names the operator in the message.
func TypedRow(rec *stream.Record, op string, minWidth int) (*row.Row, error) {
	if rec.Row == nil {
		return nil, stream.BadInput("untyped_record", "%s needs a typed row", op)
	}
	if len(rec.Row.Values) < minWidth {
		return nil, stream.BadInput("bad_row", "%s: row of %d columns, want at least %d", op, len(rec.Row.Values), minWidth)
	}
	if !rec.Row.Kind.Valid() {
		return nil, stream.BadInput("bad_row", "%s: row kind %d", op, rec.Row.Kind)
	}
	return rec.Row, nil
}

// MinWidth is the number of columns a row needs for every index in cols
// to be valid (one more than the largest).
func MinWidth(cols ...int) int {
	n := 0
	for _, c := range cols {
		n = max(n, c+1)
	}
	return n
}

// checkCols reports a negative column index in cols (a planning error).
func checkCols(what string, cols ...int) error {
	for _, c := range cols {
		if c < 0 {
			return fmt.Errorf("%s: column index %d", what, c)
		}
	}
	return nil
}

// RowEmitter emits typed rows derived from an input record through one
// reused Record and Row, allocating nothing per row. The emitted row is
// valid during Emit only: receivers clone what they keep.
type RowEmitter struct {
	Row row.Row
	rec stream.Record
}

// Emit sends e.Row with the given kind on port 0, keyed, timed and
// positioned as the input record in.
func (e *RowEmitter) Emit(out stream.Emitter, in *stream.Record, kind row.RowKind) {
	e.Row.Kind = kind
	e.rec = in.Derive(in.Key, nil, in.Time)
	e.rec.Row = &e.Row
	out.Emit(0, &e.rec)
}

// Set makes e.Row the concatenation of the given value lists, reusing its
// slice.
func (e *RowEmitter) Set(parts ...[]row.Value) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if cap(e.Row.Values) < n {
		e.Row.Values = make([]row.Value, 0, n)
	}
	e.Row.Values = e.Row.Values[:0]
	for _, p := range parts {
		e.Row.Values = append(e.Row.Values, p...)
	}
}

// valuesEqual reports pairwise row.Equal (NULL equals NULL), as Flink's
// record equaliser compares results and rows.
func valuesEqual(a, b []row.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !row.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// ttlNow is the event-time TTL clock of a record with time t: the later
// of the operator's watermark wm and t (t <= 0: no time, wm). A record on
// time is at or ahead of the watermark, so what expires for it depends on
// its own time, not on how far the watermark had got when it was read: a
// one-pass backfill, which reads a whole backlog before any watermark
// crosses a shuffle, expires what a live run expires. Only a record more
// than its source's delay behind (where wm wins) still depends on that.
func ttlNow(wm, t int64) int64 {
	if t <= 0 {
		return wm
	}
	return max(wm, t)
}

// ttlExpired reports whether an entry last written (logically) at event
// time wrote has expired at event time wm under an event-time TTL,
// by exactly the rule of state.WithEventTimeTTL: never without a TTL, a
// watermark, or a known write time; else once wm >= wrote + ttl. Operators
// that keep state in memory and write it back at checkpoints apply it
// themselves, so expiry does not depend on when checkpoints happen.
func ttlExpired(wrote, wm int64, ttl time.Duration) bool {
	if ttl <= 0 || wrote == math.MinInt64 || wm == math.MinInt64 {
		return false
	}
	d := ttl.Milliseconds()
	exp := wrote + d
	if wrote > math.MaxInt64-d {
		exp = math.MaxInt64
	}
	return wm >= max(exp, 1)
}

// errCorruptState reports state bytes that are not what the operator
// wrote (a version it does not know, truncated data): a task error, never
// a panic.
var errCorruptState = errors.New("exec: corrupt operator state")

// stateReader reads the small binary layouts the operators keep in state,
// checking every length; the first failure sticks (err).
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail() {
	if r.err == nil {
		r.err = errCorruptState
	}
	r.b = nil
}

func (r *stateReader) byte1() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *stateReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next length-prefixed field (aliasing the input).
func (r *stateReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// done reports an error unless everything was read.
func (r *stateReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	return r.err
}
