package stream

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
)

// Record is what flows between operators.
//
// Ownership: an operator that emits a record must not mutate its Key or Value
// afterwards; a receiver must not keep the *Record or parsed JSON past the
// call (sinks copy what they keep).
type Record struct {
	Key     []byte
	Value   []byte
	Time    int64 // event time, epoch ms
	Headers []rlog.Header

	// Source locates the input record this one derives from, for dead letters.
	Source rlog.TopicPartition
	Offset int64

	// Row is the record as a typed row with a row kind, on typed streams
	// (a source with a RowDecode, after a KeyByColumns, or set by an
	// operator): operators of a stage pass rows in memory, a KeyByColumns
	// carries them in binary across its topic, and a sink encodes them
	// once (ToRows). Value may then be empty. Like the record, the row and
	// the strings in it are valid during the call: Clone what you keep.
	Row *row.Row

	parser *fastjson.Parser
	json   *fastjson.Value
	jerr   error
}

// JSON parses Value once and caches the result for every operator of the
// chain that asks again. The returned value is valid during the current call.
//
// Value is the record; the parse is a cache of it. An operator may change
// the parsed value in place (as fix_is_new does) only if its output goes to
// operators of the same stage that read JSON(), never straight to a sink or
// KeyBy: those write Value, and a KeyBy that routes locally forwards the
// cached parse as if the record had been re-read from its topic.
func (r *Record) JSON() (*fastjson.Value, error) {
	if r.json != nil || r.jerr != nil {
		return r.json, r.jerr
	}
	if r.parser == nil {
		r.parser = new(fastjson.Parser)
	}
	r.json, r.jerr = r.parser.ParseBytes(r.Value)
	return r.json, r.jerr
}

// SetJSON attaches an already-parsed (possibly modified) value; later
// JSON calls return it instead of parsing Value.
func (r *Record) SetJSON(v *fastjson.Value) { r.json, r.jerr = v, nil }

// RowDecode decodes a record value into typed rows (a table format: json,
// or a changelog format where one record may carry several rows or none)
// and calls emit for each; the row is only valid during the call. A
// BadInputError dead-letters the record.
type RowDecode func(value []byte, emit func(*row.Row)) error

// RowEncode appends a typed row's encoding (a sink's format) to dst.
type RowEncode func(dst []byte, r *row.Row) ([]byte, error)

// Derive returns a new record with the same source position and headers.
func (r *Record) Derive(key, value []byte, time int64) Record {
	return Record{Key: key, Value: value, Time: time, Headers: r.Headers, Source: r.Source, Offset: r.Offset}
}

// Emitter receives an operator's output. Port 0 is the main output; other
// ports are the operator's side outputs, in the order of its Ports().
type Emitter interface {
	Emit(port int, rec *Record)
}

// BadInputError marks a record the job cannot process: the runtime sends
// it to the job's dead-letter topic with the reason and counts it, and the
// job keeps running. Any other error from an operator fails the task, which
// restarts from its last checkpoint.
type BadInputError struct {
	Code   string // short, stable, used as a metric label: "malformed_json"
	Detail string
}

func (e *BadInputError) Error() string {
	if e.Detail == "" {
		return e.Code
	}
	return e.Code + ": " + e.Detail
}

// BadInput returns a *BadInputError.
func BadInput(code, format string, args ...any) error {
	return &BadInputError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// AsBadInput reports whether err is (or wraps) a BadInputError.
func AsBadInput(err error) (*BadInputError, bool) {
	if err == nil {
		return nil, false // without the errors.As, whose target escapes: every fired timer asks
	}
	var b *BadInputError
	ok := errors.As(err, &b)
	return b, ok
}

// Header names rtdw writes on dead letters and control records.
const (
	HeaderReason  = "rtdw.reason"
	HeaderJob     = "rtdw.job"
	HeaderSource  = "rtdw.source"
	HeaderControl = "rtdw.control"
	// HeaderBroadcast marks a record Stream.Broadcast sent to every partition.
	HeaderBroadcast = "rtdw.broadcast"
)

// Broadcast reports whether the record came through Stream.Broadcast to
// every partition (a config row), rather than to its key's partition.
func (r *Record) Broadcast() bool { return r.Header(HeaderBroadcast) != nil }

// Header returns the value of the last header named key, or nil.
func (r *Record) Header(key string) []byte {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value
		}
	}
	return nil
}
