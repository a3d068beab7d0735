package format

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/row"
)

// The json format: a thin adapter over row.JSONDecoder and
// row.JSONEncoder, which hold Flink's json semantics. Insert-only: every
// record is one +I row.

type jsonDecoder struct {
	dec    *row.JSONDecoder
	p      fastjson.Parser
	n      int
	ignore bool
}

func newJSONDecoder(f *Format) (*jsonDecoder, error) {
	dec, err := row.NewJSONDecoder(f.schema, f.json)
	if err != nil {
		return nil, fmt.Errorf("format 'json': %w", err)
	}
	return &jsonDecoder{dec: dec, n: f.schema.Len(), ignore: f.json.IgnoreParseErrors}, nil
}

// Decode decodes one JSON object into a +I row. A null record value (a
// tombstone) decodes to no row, as Flink's json format returns null for it.
func (d *jsonDecoder) Decode(value []byte, b *Batch) error {
	b.reset()
	if len(value) == 0 {
		return nil
	}
	r := b.add(row.Insert, d.n)
	err := d.dec.DecodeBytes(&d.p, value, r)
	if err == nil {
		return nil
	}
	b.Rows = b.Rows[:0]
	e := &Error{Format: JSON, Reason: err.Error(), Err: err}
	var fe *row.FieldError
	if errors.As(err, &fe) {
		e.Field, e.Reason = fe.Field, fe.Err.Error()
	}
	if d.ignore {
		// row.JSONDecoder already turned field errors into NULLs: what is
		// left is a record that is no JSON object, which Flink skips.
		b.Skipped = e
		return nil
	}
	return e
}

type jsonEncoder struct {
	enc *row.JSONEncoder
}

func newJSONEncoder(f *Format) *jsonEncoder {
	enc, _ := row.NewJSONEncoder(f.schema, f.json) // cannot fail
	return &jsonEncoder{enc: enc}
}

// Append writes r's values as one JSON object; the row kind is not
// written. +I and +U rows are accepted (upsert-kafka writes +U rows as
// values); -U and -D are refused: the planner should have rejected an
// update stream into an insert-only format, and writing a retraction as
// a plain row would turn it into an insert downstream.
func (e *jsonEncoder) Append(dst []byte, r *row.Row) ([]byte, bool, error) {
	if r.Kind.IsRetract() || !r.Kind.Valid() {
		return dst, false, &Error{Format: JSON, Reason: fmt.Sprintf("cannot encode a %s row: the json format is insert-only (an update stream needs debezium-json, canal-json or maxwell-json, or upsert-kafka)", r.Kind)}
	}
	n := len(dst)
	out, err := e.enc.Append(dst, r)
	if err != nil {
		return out[:n], false, encodeError(JSON, "", err)
	}
	return out, false, nil
}

// encodeError wraps an encoding error, naming the field of the record.
func encodeError(format, path string, err error) *Error {
	e := &Error{Format: format, Field: path, Reason: err.Error(), Err: err}
	var fe *row.FieldError
	if errors.As(err, &fe) {
		e.Field, e.Reason = joinPath(path, fe.Field), fe.Err.Error()
	}
	return e
}
