package row

import "fmt"

// RawFormat is Flink's raw format: the record value is the single column,
// a CHAR / VARCHAR / STRING (UTF-8, raw.charset's default) or a BINARY /
// VARBINARY / BYTES. A null record value (a tombstone) is NULL, and NULL
// encodes as a null record value. Flink's raw format also reads numbers
// with raw.endianness; rtdw supports the string and bytes types, which is
// what the format is used for.
type RawFormat struct {
	kind Kind
}

// NewRawFormat returns the raw format for s, which must have exactly one
// column of a string or binary type.
func NewRawFormat(s *Schema) (*RawFormat, error) {
	if s.Len() != 1 {
		return nil, fmt.Errorf("raw format: the table must have exactly one physical column, it has %d", s.Len())
	}
	t := s.Column(0).Type
	if !t.IsString() && !t.IsBinary() {
		return nil, fmt.Errorf("raw format: column %q is %s; want STRING, VARCHAR, CHAR, BYTES, VARBINARY or BINARY", s.Column(0).Name, t)
	}
	return &RawFormat{kind: t.Kind}, nil
}

// Decode sets r to the one-column row of value (copied), NULL when value
// is nil.
func (f *RawFormat) Decode(value []byte, r *Row) {
	r.Reset(Insert, 1)
	if value != nil {
		r.Values[0] = Value{k: f.kind, s: string(value)}
	}
}

// Append appends r's column to dst; null reports a NULL column, to be
// written as a null record value.
func (f *RawFormat) Append(dst []byte, r *Row) (_ []byte, null bool, err error) {
	if len(r.Values) != 1 {
		return dst, false, fmt.Errorf("raw format: %d values for one column", len(r.Values))
	}
	v := r.Values[0]
	switch {
	case v.k == KindNull:
		return dst, true, nil
	case v.k < KindChar || v.k > KindVarBinary:
		return dst, false, fmt.Errorf("raw format: cannot encode a %s value", v.k)
	}
	return append(dst, v.s...), false, nil
}
